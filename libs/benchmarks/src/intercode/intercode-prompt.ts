import { type ChatMessage } from '../benchmark';
import { sha256Hex } from '../hash';
import { pyStrRepr } from './intercode-python';

/** An InterCode environment as the runner names it (`--env`), with its language and setting (SETTING_MAP). */
export type IntercodeEnvName = 'sql' | 'bash';

const LANGUAGE: Record<IntercodeEnvName, string> = { sql: 'SQL', bash: 'BASH' };
const SETTING: Record<IntercodeEnvName, string> = { sql: 'MySQL Database', bash: 'Bourne Shell' };

/** `PromptTemplate.get_retry_msg`: what the model is told when its reply held no code. */
export function intercodeRetryMessage(env: IntercodeEnvName): string {
  const l = LANGUAGE[env];
  return `No ${l} code was found in your last response.

Your response should be a ${l} command. Format your ${l} command as follows:

\`\`\`${l}
Your ${l} code here
\`\`\`
`;
}

/** `TemplateV2.get_init_msg` (template "v2", used for Bash; its explore hint names SQL for every language upstream). */
function templateV2Init(env: IntercodeEnvName): string {
  const l = LANGUAGE[env];
  const explore = `
Try \`\`\`sql
SHOW TABLES\`\`\` or \`\`\`sql
DESCRIBE <table_name> to learn more about the database\`\`\`.

`;
  return `## TASK DESCRIPTION
You are a ${l} code generator helping me answer a question using ${l}. 
I will ask you a question, and your task is to interact with a ${SETTING[env]} system using ${l} commands to come up with the answer. 

## RESPONSE FORMAT
Your response should be a ${l} command. Format your ${l} command as follows:
\`\`\`${l}
Your ${l} code here
\`\`\`

DO NOT WRITE ANYTHING EXCEPT FOR CODE in your response.
${explore}

## OUTPUT DESCRIPTION
Given your ${l} command input, the system will then give back output formatted as follows:

Output: <string>
Reward: [0, 1]

The output is the standard output from executing your ${l} command.
The reward is a decimal value between 0 and 1, which tells you how close your ${l} command is to the correct answer. 
The closer the reward is to 1, the closer your ${l} command is to the correct answer.

You have to try to maximize the reward.
`;
}

/** `TemplateSQLGame.get_init_msg` (template "game_sql", used for SQL). */
function templateSqlGameInit(env: IntercodeEnvName): string {
  const l = LANGUAGE[env];
  return `\`${l}Env\` is a multi-turn game that tests your ability to write
a ${l} command that produces an output corresponding to a natural language query.

## GAME DESCRIPTION
At the start of this game, you are given a natural language query describing some
desired output (i.e. "Find the first name of a student who have both cat and dog pets").
Aside from the natural language query, you have no information about the tables you have access to.

The game will be played in a series of turns. Each turn, you can submit a ${l} command.
You will then get a response detailing the output of your ${l} query along with a reward
that tells you how close your ${l} command is to the correct answer.

The goal of this game is to write a ${l} command that gets a reward of 1. The game will automatically
terminate once you get a reward of 1.

## INPUT DESCRIPTION
Each turn, you can submit a ${l} command. Your ${l} command should be formatted as follows:

\`\`\`${l}
Your ${l} code here
\`\`\`

Your ${l} command can help you do one of two things:
1. Learn more about the tables you have access to
2. Execute ${l} commands based on these tables to generate the correct output.

## OUTPUT DESCRIPTION
Given your ${l} command input, \`${l}Env\` will then give back output formatted as follows:

Output: <string>
Reward: <decimal value between 0 and 1>

The output is a string displaying the result from executing your ${l} query.
The reward is a decimal value between 0 and 1.

## REWARD DESCRIPTION
The reward should be interpreted as a ratio. It tells you how many rows your ${l}
command outputted correctly compared to the correct answer.

## RULES
1. Do NOT ask questions. Your commands are fed directly into a SQL compiler. 

## STRATEGY
You are free to play as many turns of the game as you'd like to inspect tables
and develop your ${l} command.

The best strategy for this game is to first write ${l} commands that help you learn
about the tables that you have access to. For instance, in a SQL environment, you might use \`SHOW TABLES\`
and \`DESC <table name>\` to learn more about the tables you have access to.

Once you have a good understanding of the tables, you should then write ${l} commands
that would answer the natural language query using the tables you have access to.
`;
}

/** The query message both templates share (`TemplateV2.get_query_msg`). */
export function intercodeQueryMessage(query: string): string {
  return `Query: "${query}".
Do not generate any output or reward.
`;
}

/** `TemplateV2.get_obs_msg`: the environment's answer to one action. An empty observation reads "No output". */
export function intercodeObservationMessage(env: IntercodeEnvName, query: string, observation: string, reward: string): string {
  return `${SETTING[env]} Output: ${observation === '' ? 'No output' : observation}
Reward: ${reward}
Here is the query again: "${query}"
Try something different to generate ${LANGUAGE[env]} command to get a reward of 1.
Do not generate any output or reward.
`;
}

/** `handicap_sql`: the tables and their columns, as `--handicap` adds them for Spider. */
export function intercodeSqlHandicap(tables: Readonly<Record<string, readonly string[]>>): string {
  let handicap = 'MySQL tables, with their properties\n';
  for (const [name, columns] of Object.entries(tables)) handicap += `- ${name}: [${columns.map(pyStrRepr).join(', ')}]\n`;
  return handicap;
}

/**
 * The first messages of an episode as HFChatPolicy.prepare_dialogue builds them: for SQL (with the handicap) the schema
 * as the system message, then the game template and the query as one user message; for Bash (no handicap) a system
 * message naming the language, then the v2 template, a newline and the query.
 */
export function intercodeFirstMessages(env: IntercodeEnvName, query: string, tables?: Readonly<Record<string, readonly string[]>>): ChatMessage[] {
  if (env === 'sql') {
    return [
      { role: 'system', content: intercodeSqlHandicap(tables ?? {}) },
      { role: 'user', content: templateSqlGameInit(env) + intercodeQueryMessage(query) },
    ];
  }
  return [
    { role: 'system', content: `You are a helpful assistant expert specializing in ${LANGUAGE[env]}.` },
    { role: 'user', content: `${templateV2Init(env)}\n${intercodeQueryMessage(query)}` },
  ];
}

/** The run settings of OpenLemur/intercode scripts/expr_{spider,nl2bash}.sh. */
export interface IntercodeBudget {
  maxTurns: number;
  /** Most recent messages kept after the first two (`--dialogue_limit`). */
  dialogueLimit: number;
}

/** `--max_turns 10 --dialogue_limit 5` (expr_spider.sh) and `--max_turns 10 --dialogue_limit 7` (expr_nl2bash.sh). */
export const INTERCODE_BUDGETS: Record<IntercodeEnvName, IntercodeBudget> = {
  sql: { maxTurns: 10, dialogueLimit: 5 },
  bash: { maxTurns: 10, dialogueLimit: 7 },
};

/** Observations are cut before they are shown (HFChatPolicy response_limit, and 50 rows for a fetched result). */
export const INTERCODE_OBSERVATION_CHARS = 1000;
export const INTERCODE_OBSERVATION_ROWS = 50;

/** sha256 over every template text, so a run records exactly which prompts it used. */
export const INTERCODE_PROMPT_TEMPLATE_HASH = sha256Hex(
  JSON.stringify({
    sqlInit: templateSqlGameInit('sql'),
    bashInit: templateV2Init('bash'),
    retry: [intercodeRetryMessage('sql'), intercodeRetryMessage('bash')],
    obs: intercodeObservationMessage('sql', '{query}', '{observation}', '{reward}'),
    query: intercodeQueryMessage('{query}'),
    handicap: intercodeSqlHandicap({ '{table}': ['{column}'] }),
    budgets: INTERCODE_BUDGETS,
  }),
);
