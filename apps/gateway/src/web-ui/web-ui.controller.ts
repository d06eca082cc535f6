import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Access } from '../auth/access.decorator';
import { HttpRejection } from '../http/api-error';
import { WEB_UI_ASSETS } from '../gateway.tokens';
import type { WebUiAsset, WebUiAssets } from './web-ui-assets';

/**
 * The UI's own files only: scripts from this origin, no inline code, API calls to this origin. Model-written text is
 * rendered as text nodes; this policy is the second line if a bug ever lets markup through.
 */
export const WEB_UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Serves the web UI (a static client of the REST API) under /ui. The files are public; the data is not: the client
 * sends the user's API key with every API call, so the UI sees exactly what that key may see.
 */
@Controller()
export class WebUiController {
  constructor(@Inject(WEB_UI_ASSETS) private readonly assets: WebUiAssets) {}

  @Get()
  @Access('public')
  async root(@Res() reply: FastifyReply) {
    await reply.redirect('/ui', 302);
  }

  @Get('ui')
  @Access('public')
  async index(@Res() reply: FastifyReply) {
    await this.send(reply, this.assets.index());
  }

  @Get('ui/*')
  @Access('public')
  async file(@Param('*') file: string, @Res() reply: FastifyReply) {
    // `/ui/` (an empty name) is the UI page too, so either address opens the app.
    const asset = file === '' ? this.assets.index() : this.assets.get(file);
    if (!asset) throw new HttpRejection(404, 'NOT_FOUND', `the web UI has no file ${file.slice(0, 100)}; open /ui`);
    await this.send(reply, asset);
  }

  private async send(reply: FastifyReply, asset: WebUiAsset) {
    await reply
      .header('content-type', asset.contentType)
      .header('content-security-policy', WEB_UI_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(asset.body);
  }
}
