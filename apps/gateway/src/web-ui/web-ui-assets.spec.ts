import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEB_UI_DIR, WebUiAssets } from './web-ui-assets';

const assets = new WebUiAssets(WEB_UI_DIR);
const scripts = ['app.js', 'api.js', 'dom.js', 'format.js', 'widgets.js', 'login-page.js', 'runs-page.js', 'run-page.js', 'sample-page.js', 'compare-page.js', 'schedules-page.js', 'page-trail.js'];
const text = (name: string) => assets.get(name)!.body.toString('utf8');

describe('the web UI files', () => {
  it('serves the page, its stylesheet and every module, with their content types', () => {
    expect(assets.index().contentType).toBe('text/html; charset=utf-8');
    expect(assets.get('app.css')?.contentType).toBe('text/css; charset=utf-8');
    for (const name of scripts) expect(assets.get(name)?.contentType, name).toBe('text/javascript; charset=utf-8');
    expect(assets.get('../package.json')).toBeUndefined();
    expect(assets.get('web-ui-assets.ts')).toBeUndefined();
  });

  it('has every file the page and the modules refer to', () => {
    for (const [, path] of text('index.html').matchAll(/(?:src|href)="\/ui\/([^"]+)"/g)) expect(assets.get(path!), path).toBeDefined();
    for (const name of scripts) {
      for (const [, imported] of text(name).matchAll(/from '\.\/([^']+)'/g)) expect(assets.get(imported!), `${name} imports ${imported}`).toBeDefined();
    }
  });

  it('never turns strings into markup, and has no inline script or style the CSP would block', () => {
    for (const name of scripts) expect(text(name), name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    expect(text('index.html')).not.toMatch(/<script>|<style>| style="| on[a-z]+="/);
  });

  it('refuses a folder without a page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-ui-'));
    try {
      writeFileSync(join(dir, 'app.js'), '');
      expect(() => new WebUiAssets(dir)).toThrow(/has no index.html/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
