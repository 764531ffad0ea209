// The rules in force, in a table, and the simulator: a recent delivery's payload, or one pasted,
// through the same adapters and rules as a real delivery, in a transaction that is rolled back
// (OperationService.simulate). Nothing is applied.
import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../../errors/problem-error.js';
import { simulationEvents } from '../../services/automation/simulation-events.js';
import { type ConsoleOutcome, consoleAction } from './console-action.js';
import type { ConsoleContext, Signed } from './console-context.js';
import { messagePage } from './console-pages.js';
import { bounded, fieldOf } from './console-request.js';
import { type RuleRow, rulesPage, type SimulatorState } from './rules-pages.js';

export function rulesRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options } = context;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  const rulesView = async (
    signed: Signed,
    state: Omit<SimulatorState, 'deliveries'>,
    status?: number,
  ): Promise<ConsoleOutcome> => {
    const view = await options.rules.current();
    const managed = new Set(view.rules.map((rule) => rule.name));
    const rows: RuleRow[] = view.effective.map((rule) => ({
      name: rule.name,
      source: managed.has(rule.name)
        ? 'API'
        : rule.name.startsWith('default:')
          ? 'default'
          : 'config',
      on: rule.on,
      conditions: rule.if,
      actions: rule.then,
    }));
    const deliveries = signed.viewer.canSeeDeliveries
      ? (await options.deliveries.list({}, 20)).items
      : [];
    return {
      ...(status === undefined ? {} : { status }),
      page: rulesPage(assets, signed.viewer, rows, view.version, { ...state, deliveries }),
    };
  };

  app.get(
    '/rules',
    route,
    consoleAction(context, {
      scope: 'stories:read',
      write: false,
      run: async (_request, signed) =>
        rulesView(signed, { provider: 'github', event: '', payload: '', result: null }),
    }),
  );

  app.post(
    '/rules/simulate',
    route,
    consoleAction(context, {
      scope: 'stories:read',
      write: true,
      run: async (request, signed) => {
        const deliveryId = fieldOf(request.body, 'delivery');
        let input: { provider: string; event: string; payload: string; source: string };
        if (deliveryId !== '') {
          if (!signed.viewer.canSeeDeliveries) {
            return {
              status: 403,
              page: messagePage(
                assets,
                signed.viewer,
                'Not allowed',
                'This token lacks the scope deliveries:admin.',
              ),
            };
          }
          const delivery = await options.deliveries.detail(deliveryId).catch(() => undefined);
          if (delivery === undefined) {
            return {
              status: 404,
              page: messagePage(assets, signed.viewer, 'Not found', `No delivery ${deliveryId}.`),
            };
          }
          input = {
            provider: delivery.provider,
            event: delivery.event,
            payload: delivery.body,
            source: `delivery ${delivery.deliveryId}`,
          };
        } else {
          input = {
            provider: fieldOf(request.body, 'provider'),
            event: bounded(fieldOf(request.body, 'event'), 100),
            payload: fieldOf(request.body, 'payload'),
            source: 'the pasted payload',
          };
        }
        const state = {
          provider: input.provider,
          event: input.event,
          payload: deliveryId === '' ? input.payload : '',
        };
        let payload: unknown;
        try {
          payload = JSON.parse(input.payload);
        } catch {
          return rulesView(
            signed,
            {
              ...state,
              result: {
                source: input.source,
                events: [],
                operations: [],
                problem: 'The payload is not JSON.',
              },
            },
            400,
          );
        }
        try {
          const { events, ignored } = simulationEvents({
            provider: input.provider,
            event: input.event,
            payload,
          });
          const operations = await options.operations.simulate(
            events,
            context.auditContext(request, signed),
          );
          return rulesView(signed, {
            ...state,
            result: {
              source: input.source,
              events,
              operations,
              ...(ignored === undefined ? {} : { ignored }),
            },
          });
        } catch (error) {
          // A refusal of the adapters or rules (unknown provider, invalid payload) is shown with
          // the form and what was simulated, not on a page of its own.
          if (!(error instanceof ProblemError)) throw error;
          return rulesView(
            signed,
            {
              ...state,
              result: { source: input.source, events: [], operations: [], problem: error.message },
            },
            error.status,
          );
        }
      },
    }),
  );
}
