// The console's one script and one style sheet, as `npm run build` bundles them with esbuild
// into dist/console/. They are read once at start and served with a content hash in their URL,
// so a browser keeps them until they change.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Assets } from './console-pages.js';

export interface AssetFile {
  body: Buffer;
  hash: string;
}

export interface ConsoleAssetFiles {
  script: AssetFile;
  style: AssetFile;
}

/** dist/console/ of this checkout, whether this module runs from dist/ or from src/ (tests, dev). */
const BUNDLE_DIRECTORY = new URL('../../../dist/console/', import.meta.url);

/**
 * Reads the bundled script and style. Without them the server does not start: bundling needs
 * esbuild, a dev dependency, which a production install does not have.
 */
export async function loadConsoleAssets(
  directory: URL = BUNDLE_DIRECTORY,
): Promise<ConsoleAssetFiles> {
  const read = (name: string) =>
    readFile(new URL(name, directory)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      throw new Error(
        `The console's ${name} is missing from ${directory.pathname}: run \`npm run build\` ` +
          '(or `npm run build:console`) before starting storyflow.',
      );
    });
  const [script, style] = await Promise.all([read('console.js'), read('console.css')]);
  return { script: asset(script), style: asset(style) };
}

/** The URLs pages link to: each carries its file's hash, so a new build is fetched at once. */
export function assetUrls(files: ConsoleAssetFiles): Assets {
  return {
    script: `/console/assets/console.js?v=${files.script.hash}`,
    style: `/console/assets/console.css?v=${files.style.hash}`,
  };
}

export function assetRoutes(app: FastifyInstance, files: ConsoleAssetFiles): void {
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };
  app.get('/console/assets/console.js', route, async (request, reply) =>
    sendAsset(request, reply, files.script, 'text/javascript; charset=utf-8'),
  );
  app.get('/console/assets/console.css', route, async (request, reply) =>
    sendAsset(request, reply, files.style, 'text/css; charset=utf-8'),
  );
}

function sendAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  file: AssetFile,
  type: string,
): FastifyReply {
  const versioned = (request.query as Record<string, unknown>).v === file.hash;
  return reply
    .type(type)
    .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('etag', `"${file.hash}"`)
    .send(file.body);
}

function asset(body: Buffer): AssetFile {
  return { body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
}
