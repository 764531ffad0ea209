// The reconciliation of missed webhook deliveries (DESIGN §9, POST /deliveries/reconcile): asks
// GitHub which deliveries its hooks that post to storyflow made since a time (repository hooks;
// with `owner:`, the organization's hooks too; with `app:`, the GitHub App's hook instead), and has GitHub
// deliver again every event whose id (X-GitHub-Delivery, the delivery's `guid`) is not in the
// inbox: it failed (storyflow was down, answered 5xx) or never arrived. GitLab's project and group
// hooks likewise, through their events and resend API (reconcile-gitlab.ts). One run at a time
// across instances (a database lock), one audit entry per run with its summary, which counts
// everything and each forge entry apart.
import type { ForgeConfig } from '../../config/config.js';
import type { AuditContext } from '../../domain/audit/audit-context.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import { reconcileSince } from '../../domain/reconcile/reconcile-since.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { Store } from '../../storage/store.js';
import type {
  HookDeliveriesClient,
  HookDelivery,
  RepositoryHook,
} from './github-hook-deliveries.js';
import { GitlabHookEvents, type GitlabHookEventsClient } from './gitlab-hook-events.js';
import { type ForgeReconcileSummary, reconcileGitlabForge } from './reconcile-gitlab.js';

export interface ReconcileSummary {
  since: string;
  /** The repositories whose hooks were asked, `owner/name`. */
  repositories: string[];
  /** The other hooks asked: `organization <org>`, `app <id>` (a GitHub App's). */
  hooks: string[];
  /** Events GitHub delivered or tried to deliver since `since` (each once, whatever its attempts). */
  checked: number;
  /** Events GitHub delivered (2xx) that are not in the inbox. */
  missing: number;
  /** Events whose last attempt failed and that are not in the inbox. */
  failed: number;
  /** Redeliveries GitHub accepted (missing and failed events). */
  redelivered: number;
  /** Events already in the inbox: nothing to do. */
  alreadyReceived: number;
  errors: { repository: string; message: string }[];
  /** The same counts for each forge entry asked (`forges[].id`), in the config's order. */
  forges: ForgeReconcileSummary[];
}

export type { ForgeReconcileSummary } from './reconcile-gitlab.js';

/** The name of the lock runs take (one run at a time, across instances). */
export const RECONCILE_LOCK = 'storyflow:deliveries-reconcile';
export const RECONCILED_ACTION = 'deliveries.reconciled';
/** An event redelivered this many times without arriving is left alone (and reported). */
const MAX_REDELIVERIES = 3;
const WEBHOOK_PATH = /\/webhooks\/github\/?$/;

export class ReconcileService {
  constructor(
    private readonly store: Store,
    private readonly forges: readonly ForgeConfig[],
    private readonly clock: Clock,
    /** `signal` aborts the client's calls when the server stops. */
    private readonly clientFor: (forge: ForgeConfig, signal?: AbortSignal) => HookDeliveriesClient,
    /** GitLab's hooks, likewise. */
    private readonly gitlabClientFor: (
      forge: ForgeConfig,
      signal?: AbortSignal,
    ) => GitlabHookEventsClient = (forge, signal) => new GitlabHookEvents(forge, fetch, signal),
  ) {}

  /**
   * Reconciles deliveries since `since` (`24h`, or an ISO time within the last 3 days). Throws
   * `validation` naming `since`, or `conflict` while another run is under way.
   */
  async reconcile(since: string, context: AuditContext): Promise<ReconcileSummary> {
    const parsed = reconcileSince(since, this.clock.now());
    if ('error' in parsed)
      throw new ProblemError('validation', `since: ${parsed.error}`, {
        errors: [{ field: 'since', message: parsed.error }],
      });
    const run = await this.store.runExclusive(RECONCILE_LOCK, () =>
      this.run(parsed.since, context),
    );
    if (!run.ran)
      throw new ProblemError(
        'conflict',
        'A reconciliation is under way (on this or another instance); try again when it is done',
      );
    return run.value;
  }

  /**
   * For the schedule: reconciles since `since` unless a run (on any instance, scheduled or asked
   * for) started within the last `gapMs`, or one is under way; undefined when it did not run.
   */
  async reconcileIfDue(
    since: Date,
    gapMs: number,
    context: AuditContext,
    /** Stops the run between calls (and aborts the call under way): the server is stopping. */
    signal?: AbortSignal,
  ): Promise<ReconcileSummary | undefined> {
    const run = await this.store.runExclusive(RECONCILE_LOCK, async () => {
      const after = new Date(this.clock.now().getTime() - gapMs).toISOString();
      const recent = await this.store.audit.list({
        action: RECONCILED_ACTION,
        since: after,
        limit: 1,
      });
      return recent.length > 0 ? undefined : this.run(since, context, signal);
    });
    return run.ran ? run.value : undefined;
  }

  private async run(
    since: Date,
    context: AuditContext,
    signal?: AbortSignal,
  ): Promise<ReconcileSummary> {
    const startedAt = this.clock.now().toISOString();
    const hooksAsked: string[] = [];
    const parts = new Map<string, ForgeReconcileSummary>();
    const partOf = (forge: ForgeConfig): ForgeReconcileSummary => {
      let part = parts.get(forge.id);
      if (part === undefined) {
        part = {
          forge: forge.id,
          provider: forge.provider,
          repositories: [],
          checked: 0,
          missing: 0,
          failed: 0,
          redelivered: 0,
          alreadyReceived: 0,
          errors: [],
        };
        parts.set(forge.id, part);
      }
      return part;
    };
    const handled = new Set<string>();
    // In the order asked (the parts keep the config's order).
    const ordered: ForgeReconcileSummary[] = [];
    const forgePart = (forge: ForgeConfig) => {
      const part = partOf(forge);
      if (!ordered.includes(part)) ordered.push(part);
      return part;
    };
    const asked: string[] = [];
    for (const { forge, repository } of await this.repositories()) {
      // Stopped: what was done so far is still audited.
      if (signal?.aborted) break;
      const part = forgePart(forge);
      part.repositories.push(repository);
      asked.push(repository);
      try {
        const client = this.clientFor(forge, signal);
        const hooks = await this.hooksOf(forge, repository, client);
        if (hooks.length === 0) {
          part.errors.push({
            repository,
            message:
              forge.hookUrl === undefined
                ? 'no webhook of the repository posts to a URL ending in /webhooks/github'
                : `no webhook of the repository posts to ${forge.hookUrl}`,
          });
          continue;
        }
        for (const hook of hooks)
          await this.reconcileHook(
            repository,
            {
              list: () => client.listDeliveries(repository, hook.id, since),
              redeliver: (id) => client.redeliver(repository, hook.id, id),
            },
            handled,
            part,
          );
      } catch (error) {
        part.errors.push({ repository, message: (error as Error).message });
      }
    }
    for (const source of this.accountHooks()) {
      if (signal?.aborted) break;
      hooksAsked.push(source.label);
      const part = forgePart(source.forge);
      try {
        await source.reconcile(this.clientFor(source.forge, signal), since, handled, part);
      } catch (error) {
        part.errors.push({ repository: source.label, message: (error as Error).message });
      }
    }
    for (const forge of this.forges.filter((candidate) => candidate.provider === 'gitlab')) {
      if (signal?.aborted) break;
      const part = forgePart(forge);
      try {
        await reconcileGitlabForge(
          this.store,
          forge,
          this.gitlabClientFor(forge, signal),
          since,
          part,
          signal,
        );
      } catch (error) {
        part.errors.push({
          repository: forge.owner ?? forge.repository ?? '',
          message: (error as Error).message,
        });
      }
    }
    const forges = this.forges.flatMap((forge) => parts.get(forge.id) ?? []);
    const summary: ReconcileSummary = {
      since: since.toISOString(),
      repositories: [
        ...asked,
        ...ordered
          .filter((part) => part.provider !== 'github')
          .flatMap((part) => part.repositories),
      ],
      hooks: hooksAsked,
      checked: sum(forges, 'checked'),
      missing: sum(forges, 'missing'),
      failed: sum(forges, 'failed'),
      redelivered: sum(forges, 'redelivered'),
      alreadyReceived: sum(forges, 'alreadyReceived'),
      errors: forges.flatMap((part) => part.errors),
      forges,
    };
    await this.store.transaction((tx) =>
      tx.audit.append([
        auditEntry({
          occurredAt: startedAt,
          actor: context.actor,
          action: RECONCILED_ACTION,
          targetType: 'deliveries',
          after: { ...summary },
          requestId: context.requestId,
        }),
      ]),
    );
    return summary;
  }

  /**
   * The hooks besides repositories': each `app:` entry's GitHub App hook (once per app), and each
   * token `owner:` entry's organization hooks that post to storyflow.
   */
  private accountHooks(): {
    forge: ForgeConfig;
    label: string;
    reconcile: (
      client: HookDeliveriesClient,
      since: Date,
      handled: Set<string>,
      summary: ForgeReconcileSummary,
    ) => Promise<void>;
  }[] {
    const sources: ReturnType<ReconcileService['accountHooks']> = [];
    const apps = new Set<string>();
    for (const forge of this.forges.filter((entry) => entry.provider === 'github')) {
      if (forge.app !== undefined) {
        const key = `${forge.apiUrl} ${forge.app.id}`;
        if (apps.has(key)) continue;
        apps.add(key);
        const label = `app ${forge.app.id}`;
        sources.push({
          forge,
          label,
          reconcile: async (client, since, handled, summary) => {
            const { listAppDeliveries, redeliverApp } = client;
            if (listAppDeliveries === undefined || redeliverApp === undefined) return;
            await this.reconcileHook(
              label,
              {
                list: () => listAppDeliveries.call(client, since),
                redeliver: (id) => redeliverApp.call(client, id),
              },
              handled,
              summary,
            );
          },
        });
      } else if (forge.owner !== null) {
        const org = forge.owner;
        const label = `organization ${org}`;
        sources.push({
          forge,
          label,
          reconcile: async (client, since, handled, summary) => {
            const { listOrgHooks, listOrgDeliveries, redeliverOrg } = client;
            if (!listOrgHooks || !listOrgDeliveries || !redeliverOrg) return;
            const hooks = this.postingToStoryflow(forge, await listOrgHooks.call(client, org));
            for (const hook of hooks)
              await this.reconcileHook(
                label,
                {
                  list: () => listOrgDeliveries.call(client, org, hook.id, since),
                  redeliver: (id) => redeliverOrg.call(client, org, hook.id, id),
                },
                handled,
                summary,
              );
          },
        });
      }
    }
    return sources;
  }

  private async reconcileHook(
    repository: string,
    hook: { list: () => Promise<HookDelivery[]>; redeliver: (deliveryId: number) => Promise<void> },
    handled: Set<string>,
    summary: ForgeReconcileSummary,
  ): Promise<void> {
    const attempts = new Map<string, HookDelivery[]>();
    for (const delivery of await hook.list()) {
      if (delivery.guid === '' || handled.has(delivery.guid)) continue;
      attempts.set(delivery.guid, [...(attempts.get(delivery.guid) ?? []), delivery]);
    }
    const stored = await this.store.deliveries.storedDeliveryIds('github', [...attempts.keys()]);
    for (const [guid, tries] of attempts) {
      handled.add(guid);
      summary.checked += 1;
      if (stored.has(guid)) {
        summary.alreadyReceived += 1;
        continue;
      }
      const latest = latestOf(tries);
      if (delivered(latest)) summary.missing += 1;
      else summary.failed += 1;
      const redeliveries = tries.filter((attempt) => attempt.redelivery).length;
      if (redeliveries >= MAX_REDELIVERIES && !delivered(latest)) {
        summary.errors.push({
          repository,
          message:
            `delivery ${guid} (${latest.event}) failed ${redeliveries} redeliveries ` +
            `(last: ${latest.statusCode} ${latest.status}); not asked again`,
        });
        continue;
      }
      try {
        await hook.redeliver(latest.id);
        summary.redelivered += 1;
      } catch (error) {
        summary.errors.push({ repository, message: (error as Error).message });
      }
    }
  }

  /** The hooks of `repository` that post to storyflow. */
  private async hooksOf(
    forge: ForgeConfig,
    repository: string,
    client: HookDeliveriesClient,
  ): Promise<Pick<RepositoryHook, 'id'>[]> {
    if (forge.hookId !== undefined) return [{ id: forge.hookId }];
    return this.postingToStoryflow(forge, await client.listHooks(repository));
  }

  /** The active hooks that post to storyflow (`hookUrl`, or a URL path ending /webhooks/github). */
  private postingToStoryflow(forge: ForgeConfig, hooks: RepositoryHook[]): RepositoryHook[] {
    return hooks.filter((hook) => {
      // A hook someone turned off delivers nothing, and should not start to.
      if (hook.url === null || !hook.active) return false;
      if (forge.hookUrl !== undefined) return hook.url === forge.hookUrl;
      try {
        return WEBHOOK_PATH.test(new URL(hook.url).pathname);
      } catch {
        return false;
      }
    });
  }

  /**
   * `repository:` entries' repositories, and for `owner:` entries every repository of the owner
   * that storyflow has received deliveries from (it cannot know of one it never heard from).
   */
  private async repositories(): Promise<{ forge: ForgeConfig; repository: string }[]> {
    // A GitHub App's events come through its own hook (accountHooks), not repositories' hooks.
    const github = this.forges.filter(
      (forge) => forge.provider === 'github' && forge.app === undefined,
    );
    const named = new Map<string, ForgeConfig>();
    for (const forge of github)
      if (forge.repository !== null) named.set(forge.repository.toLowerCase(), forge);
    const owners = github.filter((forge) => forge.owner !== null);
    const seen = owners.length === 0 ? [] : await this.store.deliveries.listRepositories('github');
    const result = [...named.values()].map((forge) => ({
      forge,
      repository: forge.repository as string,
    }));
    for (const repository of seen) {
      if (named.has(repository.toLowerCase())) continue;
      const owner = repository.split('/')[0]?.toLowerCase();
      const forge = owners.find((candidate) => candidate.owner?.toLowerCase() === owner);
      if (forge !== undefined) result.push({ forge, repository });
    }
    return result;
  }
}

function sum(
  parts: readonly ForgeReconcileSummary[],
  key: 'checked' | 'missing' | 'failed' | 'redelivered' | 'alreadyReceived',
): number {
  return parts.reduce((total, part) => total + part[key], 0);
}

/** The latest of an event's attempts (GitHub lists newest first; this does not rely on it). */
function latestOf(tries: HookDelivery[]): HookDelivery {
  return tries.reduce((latest, attempt) =>
    Date.parse(attempt.deliveredAt) > Date.parse(latest.deliveredAt) ||
    (attempt.deliveredAt === latest.deliveredAt && attempt.id > latest.id)
      ? attempt
      : latest,
  );
}

/** GitHub's own verdict on an attempt: a 2xx answer. */
function delivered(delivery: HookDelivery): boolean {
  return delivery.statusCode >= 200 && delivery.statusCode < 300 && delivery.status === 'OK';
}
