import { Type } from '@sinclair/typebox';

export const AuditEntrySchema = Type.Object(
  {
    seq: Type.Integer(),
    occurredAt: Type.String(),
    actor: Type.Object({
      type: Type.String({ description: 'token, oidc, webhook, system or anonymous' }),
      id: Type.Union([Type.String(), Type.Null()]),
      name: Type.Union([Type.String(), Type.Null()]),
      person: Type.Optional(
        Type.String({ description: 'The configured person (people:) behind a webhook change' }),
      ),
      login: Type.Optional(
        Type.String({
          description: 'The forge account behind a webhook change: <provider>:<login>',
        }),
      ),
    }),
    action: Type.String({ description: 'e.g. story.created, story.transitioned, token.revoked' }),
    targetType: Type.String(),
    targetId: Type.Union([Type.String(), Type.Null()]),
    before: Type.Unknown({ description: 'Changed fields before (null on creation)' }),
    after: Type.Unknown({ description: 'Changed fields after (null on deletion)' }),
    requestId: Type.Union([Type.String(), Type.Null()]),
    operationId: Type.Union([Type.String(), Type.Null()]),
    deliveryId: Type.Union([Type.String(), Type.Null()]),
    batchId: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    prevHash: Type.String(),
    hash: Type.String({ description: 'SHA-256 over prevHash, seq and every field' }),
  },
  { $id: 'AuditEntry' },
);

export const AuditPageSchema = Type.Object({
  items: Type.Array(Type.Ref(AuditEntrySchema)),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const AuditQuerySchema = Type.Object(
  {
    story: Type.Optional(Type.String()),
    actor: Type.Optional(
      Type.String({
        description: 'Actor id or name, a person of people:, or a <provider>:<login>',
      }),
    ),
    action: Type.Optional(Type.String()),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    operation: Type.Optional(Type.String()),
    delivery: Type.Optional(Type.String()),
    batch: Type.Optional(Type.String({ description: 'The batch id a POST /batch answered' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const AuditVerificationSchema = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer({ description: 'Entries verified before the first break (all when ok)' }),
  lastSeq: Type.Integer(),
  firstBreak: Type.Optional(
    Type.Object({
      seq: Type.Integer(),
      reason: Type.String({ description: 'content-altered, chain-broken or sequence-gap' }),
      message: Type.String(),
    }),
  ),
});
