// Which stories changed, for the console's live board (server-sent events). Every story write,
// whoever makes it (an API call, the inbox worker thread, another instance on the same
// database), appends an audit entry in its transaction; this feed polls the audit log's head
// while at least one board listens and announces the stories of the entries past the last seq
// it saw. One poll per process serves every open board; nobody listening, nothing is polled.
import { type AuditService, encodeAuditCursor } from '../../services/audit-service.js';

export interface StoryChange {
  seq: number;
  story: string;
  action: string;
}

export type StoryChangeListener = (changes: StoryChange[]) => void;

export class StoryChangeFeed {
  private readonly listeners = new Set<StoryChangeListener>();
  private timer: NodeJS.Timeout | undefined;
  private lastSeq: number | undefined;
  private polling = false;

  constructor(
    private readonly audit: AuditService,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  subscribe(listener: StoryChangeListener): () => void {
    this.listeners.add(listener);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.poll(), this.intervalMs);
      this.timer.unref();
      void this.poll();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.lastSeq = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const head = await this.audit.headSeq();
      if (this.lastSeq === undefined || head < this.lastSeq) {
        this.lastSeq = head;
        return;
      }
      while (head > this.lastSeq) {
        const page = await this.audit.list({
          cursor: encodeAuditCursor(this.lastSeq),
          limit: 500,
        });
        if (page.items.length === 0) break;
        const changes: StoryChange[] = [];
        for (const entry of page.items) {
          if (entry.targetType === 'story' && entry.targetId !== null) {
            changes.push({ seq: entry.seq, story: entry.targetId, action: entry.action });
          }
        }
        this.lastSeq = page.items.at(-1)?.seq ?? head;
        if (changes.length > 0) for (const listener of this.listeners) listener(changes);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.polling = false;
    }
  }
}
