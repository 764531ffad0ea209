// `storyflow token bootstrap`: an admin token made on the server's machine, straight in the
// database, for whoever has lost (or never saw) the one the first start printed.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../../config/config.js';
import { systemClock } from '../../domain/clock.js';
import { randomIds } from '../../services/random-ids.js';
import { TokenService } from '../../services/token-service.js';
import { openStore } from '../../storage/open-store.js';
import { CliError, EXIT } from '../exit-codes.js';

export interface BootstrapOptions {
  name: string;
  /** ISO-8601; null for a token that never expires. */
  expiresAt: string | null;
  cwd: string;
}

/**
 * Creates an admin token in the database the config points at (the server need not run, and
 * may). Refuses a SQLite file that does not exist: that is the wrong directory or URL, and
 * creating a database there would hide it.
 * @example await bootstrapAdminToken(loadConfig({ env, cwd }), { name: 'ops', expiresAt: null, cwd })
 */
export async function bootstrapAdminToken(config: Config, options: BootstrapOptions) {
  const location = config.database;
  if (location.dialect === 'sqlite') {
    if (location.filename === ':memory:')
      throw new CliError(EXIT.usage, 'an in-memory database has no tokens to add to');
    const file = resolve(options.cwd, location.filename);
    if (!existsSync(file))
      throw new CliError(
        EXIT.usage,
        `no database at ${file}: run this where the server runs, with its STORYFLOW_DATABASE_URL (or --database-url)`,
      );
  }
  const store = await openStore(
    location.dialect === 'sqlite'
      ? { dialect: 'sqlite', filename: resolve(options.cwd, location.filename) }
      : location,
  );
  try {
    const tokens = new TokenService(store, systemClock, randomIds, config.adminTokens);
    return await tokens.create(
      { name: options.name, scopes: ['admin'], expiresAt: options.expiresAt },
      null,
      {
        actor: { type: 'system', id: 'cli:token-bootstrap', name: 'storyflow token bootstrap' },
        requestId: null,
        reason: 'created on the server machine with direct database access',
      },
    );
  } finally {
    await store.close();
  }
}
