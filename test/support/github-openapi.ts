// GitHub's own OpenAPI description of the calls storyflow makes (test/fixtures/github-openapi,
// taken from @octokit/openapi, see SOURCE.md): the fake GitHub checks every request against it
// (path and query parameters, the request body) and answers with the description's examples,
// so a request GitHub would refuse fails a test here, and storyflow reads answers shaped as
// GitHub's are.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: object;
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: { 'application/json': { schema: object } } };
  responses: Record<
    string,
    | {
        content?: {
          'application/json'?: { schema?: object; examples?: Record<string, { $ref: string }> };
        };
      }
    | { $ref: string }
  >;
}

interface Description {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

export interface CheckedRequest {
  operationId: string;
  /** Why GitHub would refuse the request; empty when it is well formed. */
  problems: string[];
}

const description = JSON.parse(
  readFileSync(new URL('../fixtures/github-openapi/operations.json', import.meta.url), 'utf8'),
) as Description;

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv) => void)(ajv);
// Schemas refer to `#/components/…` of the description: one schema holds them all.
ajv.addSchema({ $id: 'github', components: retarget(description.components) });

const compiled = new Map<object, ValidateFunction>();
function validatorOf(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(retarget(schema));
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * `#/components/x` → `github#/components/x`, so a schema compiled alone finds its references; and
 * OpenAPI's `nullable` beside no `type` (the installation's `account`) → either it or null, which
 * ajv cannot read as it stands.
 */
function retarget(value: unknown): any {
  if (Array.isArray(value)) return value.map(retarget);
  if (value === null || typeof value !== 'object') return value;
  if ('nullable' in value && value.nullable === true && !('type' in value)) {
    const { nullable: _, ...rest } = value as Record<string, unknown>;
    return { anyOf: [retarget(rest), { type: 'null' }] };
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/')
        ? `github${inner}`
        : retarget(inner),
    ]),
  );
}

function resolve<T>(value: T | { $ref: string }): T {
  if (typeof value === 'object' && value !== null && '$ref' in value) {
    const [, , kind, name] = value.$ref.split('/');
    return description.components[kind as string]?.[name as string] as T;
  }
  return value;
}

const operations = Object.entries(description.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase(),
    pattern: new RegExp(`^${template.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
    operation,
  })),
);

/** The version of the description the fixture was taken from. */
export const GITHUB_OPENAPI_VERSION = description.info.version;

/** The documented operation a request is, and what GitHub would find wrong with it. */
export function checkGithubRequest(
  method: string,
  url: string,
  body: unknown,
): CheckedRequest | undefined {
  const parsed = new URL(url, 'http://github.invalid');
  for (const candidate of operations) {
    const match = candidate.pattern.exec(parsed.pathname);
    if (candidate.method !== method || match === null) continue;
    const { operation } = candidate;
    const problems: string[] = [];
    for (const parameter of (operation.parameters ?? []).map((p) => resolve<Parameter>(p))) {
      if (parameter.in === 'header') continue;
      const raw =
        parameter.in === 'path'
          ? decodeURIComponent(match.groups?.[parameter.name] ?? '')
          : parsed.searchParams.get(parameter.name);
      if (raw === null) {
        if (parameter.required)
          problems.push(`the ${parameter.in} parameter ${parameter.name} is missing`);
        continue;
      }
      const type = (parameter.schema as { type?: string }).type;
      const value = type === 'integer' || type === 'number' ? Number(raw) : raw;
      const validate = validatorOf(parameter.schema);
      if (!validate(value)) {
        problems.push(
          `${parameter.in} parameter ${parameter.name}=${raw}: ${ajv.errorsText(validate.errors)}`,
        );
      }
    }
    const unknownQuery = [...parsed.searchParams.keys()].filter(
      (name) =>
        !(operation.parameters ?? [])
          .map((p) => resolve<Parameter>(p))
          .some((parameter) => parameter.in === 'query' && parameter.name === name),
    );
    if (unknownQuery.length > 0)
      problems.push(`undocumented query parameters: ${unknownQuery.join(', ')}`);
    const requestBody = operation.requestBody;
    if (requestBody === undefined) {
      if (body !== undefined) problems.push('this operation takes no request body');
    } else if (body === undefined) {
      if (requestBody.required) problems.push('the request body is missing');
    } else {
      const validate = validatorOf(requestBody.content['application/json'].schema);
      if (!validate(body)) problems.push(`request body: ${ajv.errorsText(validate.errors)}`);
    }
    return { operationId: operation.operationId, problems };
  }
  return undefined;
}

/**
 * The description's example answer of `operationId` at `status` (a fresh copy), with `fields`
 * laid over it; throws when the result does not match the documented schema of that answer.
 */
export function githubAnswer<T extends Record<string, unknown>>(
  operationId: string,
  status: number,
  fields: Partial<T> = {},
): T {
  const found = operations.find((candidate) => candidate.operation.operationId === operationId);
  if (found === undefined) throw new Error(`no operation ${operationId} in the description`);
  const response = resolve(found.operation.responses[String(status)] ?? { $ref: '#/none/x' });
  const content = response?.content?.['application/json'];
  const exampleRef = Object.values(content?.examples ?? {})[0];
  if (content?.schema === undefined || exampleRef === undefined) {
    throw new Error(`${operationId} documents no JSON example for ${status}`);
  }
  const example = structuredClone(resolve<{ value: T }>(exampleRef).value);
  const answer = Array.isArray(example)
    ? (example as unknown as T)
    : ({ ...example, ...fields } as T);
  const validate = validatorOf(content.schema);
  if (!validate(answer)) {
    throw new Error(`${operationId} ${status} answer: ${ajv.errorsText(validate.errors)}`);
  }
  return answer;
}

/** Whether `value` is what GitHub documents `operationId` to answer at `status`. */
export function matchesGithubAnswer(operationId: string, status: number, value: unknown): string[] {
  const found = operations.find((candidate) => candidate.operation.operationId === operationId);
  const response =
    found && resolve(found.operation.responses[String(status)] ?? { $ref: '#/none/x' });
  const schema = response?.content?.['application/json']?.schema;
  if (schema === undefined) return [`${operationId} documents no JSON answer for ${status}`];
  const validate = validatorOf(schema);
  return validate(value) ? [] : [ajv.errorsText(validate.errors)];
}
