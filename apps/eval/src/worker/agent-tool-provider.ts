/**
 * Supplies the tool functions an agent benchmark's session must define (MINT: `wikipedia_search`). A provider renders
 * Python source run once at the start of each session; runs record the provider's name, since a different provider
 * (a live or cached Wikipedia) changes what the model observes.
 */
export interface AgentToolProvider {
  readonly name: string;
  /** Python code defining each named tool; unknown names are an error (the run would measure a broken tool). */
  setupCode(tools: readonly string[]): string;
}

/** What every tool call returns offline. */
export const OFFLINE_TOOL_TEXT = 'Wikipedia search is not available offline.';

const OFFLINE_TOOLS: Record<string, string> = {
  wikipedia_search: `def wikipedia_search(query: str) -> str:\n    return ${JSON.stringify(OFFLINE_TOOL_TEXT)}\n`,
};

/** The platform has no network in the sandbox: each tool answers with a fixed "not available offline" text. */
export class OfflineStubToolProvider implements AgentToolProvider {
  readonly name = 'offline-stub';

  setupCode(tools: readonly string[]): string {
    return tools
      .map((tool) => {
        const code = OFFLINE_TOOLS[tool];
        if (code === undefined) throw new Error(`tool provider ${this.name} has no tool "${tool}"`);
        return code;
      })
      .join('\n');
  }
}
