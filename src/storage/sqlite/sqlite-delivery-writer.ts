// The webhook commit path on SQLite without the query builder: two prepared statements run in
// an IMMEDIATE transaction. The delivery writer thread uses it, so that thread loads only
// better-sqlite3 (memory) and spends its time in SQLite (CPU). Same results as
// KyselyDeliveryRepository.insertDeliveries, which a test checks.
import SqliteDatabase from 'better-sqlite3';
import type { NewDelivery } from '../delivery-repository.js';

export class SqliteDeliveryWriter {
  private readonly db: SqliteDatabase.Database;
  private readonly insert: SqliteDatabase.Statement;
  private readonly insertPayload: SqliteDatabase.Statement;
  private readonly existing: SqliteDatabase.Statement<[string, string], { id: string }>;
  private readonly insertAll: (items: NewDelivery[]) => { id: string; duplicate: boolean }[];

  /**
   * `autoCheckpointPages`: WAL size (pages) at which this connection's commits checkpoint
   * (SQLite's default 1000). `serve` raises it to a safety net: a thread of its own checkpoints.
   */
  constructor(filename: string, options: { autoCheckpointPages?: number } = {}) {
    this.db = new SqliteDatabase(filename);
    this.db.pragma('busy_timeout = 5000');
    if (options.autoCheckpointPages !== undefined) {
      this.db.pragma(`wal_autocheckpoint = ${Math.trunc(options.autoCheckpointPages)}`);
    }
    // The same durability as the main connection: a commit is on disk when it returns.
    this.db.pragma('synchronous = FULL');
    this.insert = this.db.prepare(
      `insert into deliveries (id, provider, delivery_id, event, headers, received_at,
         source_address, repository, status, attempts, next_attempt_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)
       on conflict (provider, delivery_id) do nothing`,
    );
    this.insertPayload = this.db.prepare(
      'insert into delivery_payloads (delivery_id, body) values (?, ?)',
    );
    this.existing = this.db.prepare(
      'select id from deliveries where provider = ? and delivery_id = ?',
    );
    const insertAll = this.db.transaction((items: NewDelivery[]) =>
      items.map((item) => {
        const { changes } = this.insert.run(
          item.id,
          item.provider,
          item.deliveryId,
          item.event,
          JSON.stringify(item.headers),
          item.receivedAt,
          item.sourceAddress,
          item.repository,
          item.receivedAt,
        );
        if (changes === 1) {
          this.insertPayload.run(item.id, item.body);
          return { id: item.id, duplicate: false };
        }
        // Stored earlier, or by an item earlier in this very batch.
        const row = this.existing.get(item.provider, item.deliveryId);
        return { id: row?.id ?? item.id, duplicate: true };
      }),
    );
    this.insertAll = (items) => insertAll.immediate(items);
  }

  /** Commits the deliveries (new ones as pending) and answers each one's stored id. */
  async insertDeliveries(items: NewDelivery[]): Promise<{ id: string; duplicate: boolean }[]> {
    return items.length === 0 ? [] : this.insertAll(items);
  }

  close(): void {
    this.db.close();
  }
}
