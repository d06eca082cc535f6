import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** A static file of the web UI, held in memory. */
export interface WebUiAsset {
  body: Buffer;
  contentType: string;
}

/**
 * The web UI's files, read once from one flat folder: only names found there at start-up are ever served, so no
 * request path reaches the file system (no traversal to guard against).
 */
export class WebUiAssets {
  private readonly files = new Map<string, WebUiAsset>();

  constructor(dir: string) {
    for (const name of readdirSync(dir)) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType) this.files.set(name, { body: readFileSync(join(dir, name)), contentType });
    }
    if (!this.files.has('index.html')) throw new Error(`the web UI folder ${dir} has no index.html`);
  }

  /** The file of this name, if the UI has one. */
  get(name: string): WebUiAsset | undefined {
    return this.files.get(name);
  }

  /** The page every UI route starts from. */
  index(): WebUiAsset {
    return this.files.get('index.html')!;
  }
}

/** Where the gateway's web UI files live. */
export const WEB_UI_DIR = join(__dirname, 'assets');
