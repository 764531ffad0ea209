// A forge's own description of the calls storyflow makes (Swagger 2.0: test/fixtures/gitea-api,
// test/fixtures/azure-devops-api; OpenAPI 3.0: test/fixtures/bitbucket-api), each a subset
// copied unchanged (see their SOURCE.md). A fake forge checks every request against it (path and
// query parameters, the body, and no field the description does not name) and its own answers
// against the documented response, so a request the forge would refuse or misread fails a test.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'body';
  required?: boolean;
  /** OpenAPI 3 */
  schema?: object;
}

type Ref = { $ref: string };

interface Operation {
  operationId: string;
  parameters?: (Parameter | Ref)[];
  /** OpenAPI 3 */
  requestBody?: { required?: boolean; content: { 'application/json': { schema: object } } };
  responses: Record<
    string,
    { schema?: object; content?: { 'application/json'?: { schema?: object } } } | Ref
  >;
}

interface Description {
  swagger?: string;
  basePath?: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation | (Parameter | Ref)[]>>;
  definitions?: Record<string, object>;
  parameters?: Record<string, Parameter>;
  responses?: Record<string, object>;
  components?: Record<string, Record<string, unknown>>;
}

export interface CheckedRequest {
  operationId: string;
  /** The path parameters, decoded. */
  params: Record<string, string>;
  /** Why the forge would refuse the request; empty when it is well formed. */
  problems: string[];
}

export interface ForgeApiDescription {
  /** The documented operation a request is (its path under the API root), or undefined. */
  check(method: string, url: string, body: unknown): CheckedRequest | undefined;
  /** Why `value` is not what `operationId` documents to answer at `status` (empty: it is). */
  answerProblems(operationId: string, status: number, value: unknown): string[];
}

export interface DescriptionOptions {
  /**
   * Fields the description requires in a request body that the forge's own examples leave out
   * (Bitbucket's `type`, which its base `object` schema requires of every object): taken as
   * present when absent.
   */
  impliedFields?: Record<string, unknown>;
}

export function loadForgeApiDescription(
  fixture: string,
  options: DescriptionOptions = {},
): ForgeApiDescription {
  const text = readFileSync(new URL(`../fixtures/${fixture}`, import.meta.url), 'utf8');
  const description = JSON.parse(text.replace(/^\uFEFF/, '')) as Description;
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const [name, max] of [
    ['int16', 2 ** 15],
    ['int32', 2 ** 31],
    ['int64', Number.MAX_SAFE_INTEGER],
  ] as const)
    ajv.addFormat(name, { type: 'number', validate: (n: number) => Math.abs(n) < max });
  for (const name of ['date-time', 'uri', 'uuid', 'email']) ajv.addFormat(name, () => true);
  ajv.addSchema({
    $id: 'forge',
    definitions: description.definitions ?? {},
    components: description.components ?? {},
  });

  const compiled = new Map<object, ValidateFunction>();
  const validatorOf = (schema: object) => {
    let validate = compiled.get(schema);
    if (validate === undefined) {
      validate = ajv.compile(retarget(schema));
      compiled.set(schema, validate);
    }
    return validate;
  };
  const resolve = <T>(value: T | Ref): T => {
    if (typeof value === 'object' && value !== null && '$ref' in value) {
      const parts = value.$ref.slice(2).split('/');
      let found: any = description;
      for (const part of parts) found = found?.[part];
      return resolve(found as T | Ref);
    }
    return value;
  };
  /** The property names a schema declares (through $ref and allOf); undefined: any name. */
  const declared = (schema: any): Set<string> | undefined => {
    const resolved = resolve<any>(schema);
    if (resolved === undefined || resolved === null) return undefined;
    if (resolved.allOf !== undefined) {
      const names = new Set<string>();
      for (const part of resolved.allOf) {
        const inner = declared(part);
        if (inner === undefined) return undefined;
        for (const name of inner) names.add(name);
      }
      return names;
    }
    if (resolved.properties === undefined) return undefined;
    if (resolved.additionalProperties !== undefined && resolved.additionalProperties !== false)
      return undefined;
    return new Set(Object.keys(resolved.properties));
  };
  const propertySchema = (schema: any, name: string): any => {
    const resolved = resolve<any>(schema);
    if (resolved?.properties?.[name] !== undefined) return resolved.properties[name];
    for (const part of resolved?.allOf ?? []) {
      const found = propertySchema(part, name);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  /** Fields the description does not name: the forge would ignore them, so storyflow erred. */
  const undeclared = (schema: any, value: unknown, at: string): string[] => {
    if (schema === undefined) return [];
    if (Array.isArray(value)) {
      const items = resolve<any>(schema)?.items;
      return value.flatMap((item, i) => undeclared(items, item, `${at}[${i}]`));
    }
    if (value === null || typeof value !== 'object') return [];
    const names = declared(schema);
    return Object.entries(value).flatMap(([key, inner]) =>
      names !== undefined && !names.has(key)
        ? [`${at}.${key} is not a field the description names`]
        : undeclared(propertySchema(schema, key), inner, `${at}.${key}`),
    );
  };

  const root =
    description.basePath ?? new URL(description.servers?.[0]?.url ?? '/', 'http://x').pathname;
  const operations = Object.entries(description.paths).flatMap(([template, methods]) => {
    const shared = (methods.parameters ?? []) as (Parameter | Ref)[];
    return Object.entries(methods)
      .filter(([method]) => method !== 'parameters')
      .map(([method, operation]) => ({
        // Bitbucket's operations have no operationId: `METHOD /path` names them.
        id: (operation as Operation).operationId ?? `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        pattern: new RegExp(
          `^${root.replace(/\/$/, '')}${template.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}/?$`,
        ),
        operation: operation as Operation,
        parameters: [...shared, ...((operation as Operation).parameters ?? [])].map((p) =>
          resolve<Parameter>(p),
        ),
      }));
  });

  return {
    check(method, url, body) {
      const parsed = new URL(url, 'http://forge.invalid');
      for (const candidate of operations) {
        const match = candidate.pattern.exec(parsed.pathname);
        if (candidate.method !== method || match === null) continue;
        const { operation, parameters } = candidate;
        const problems: string[] = [];
        const params: Record<string, string> = {};
        let bodySchema: object | undefined;
        let bodyRequired = false;
        for (const parameter of parameters) {
          if (parameter.in === 'header') continue;
          if (parameter.in === 'body') {
            bodySchema = parameter.schema;
            bodyRequired = parameter.required === true;
            continue;
          }
          const raw =
            parameter.in === 'path'
              ? decodeURIComponent(match.groups?.[parameter.name] ?? '')
              : parsed.searchParams.get(parameter.name);
          if (raw === null || raw === '') {
            if (parameter.required)
              problems.push(`the ${parameter.in} parameter ${parameter.name} is missing`);
            continue;
          }
          if (parameter.in === 'path') params[parameter.name] = raw;
          const schema = (parameter.schema ?? swaggerParameterSchema(parameter)) as {
            type?: string;
          };
          const numeric = schema.type === 'integer' || schema.type === 'number';
          const validate = validatorOf(schema);
          if (!validate(numeric ? Number(raw) : raw))
            problems.push(
              `${parameter.in} parameter ${parameter.name}=${raw}: ${ajv.errorsText(validate.errors)}`,
            );
        }
        if (operation.requestBody !== undefined) {
          bodySchema = operation.requestBody.content['application/json'].schema;
          bodyRequired = operation.requestBody.required === true;
        }
        const unknownQuery = [...parsed.searchParams.keys()].filter(
          (name) => !parameters.some((p) => p.in === 'query' && p.name === name),
        );
        if (unknownQuery.length > 0)
          problems.push(`undocumented query parameters: ${unknownQuery.join(', ')}`);
        if (bodySchema === undefined) {
          if (body !== undefined) problems.push('this operation takes no request body');
        } else if (body === undefined) {
          if (bodyRequired) problems.push('the request body is missing');
        } else {
          const implied =
            body !== null && typeof body === 'object' && !Array.isArray(body)
              ? { ...options.impliedFields, ...body }
              : body;
          const validate = validatorOf(bodySchema);
          if (!validate(implied)) problems.push(`request body: ${ajv.errorsText(validate.errors)}`);
          problems.push(...undeclared(bodySchema, body, 'body'));
        }
        return { operationId: candidate.id, params, problems };
      }
      return undefined;
    },
    answerProblems(operationId, status, value) {
      const found = operations.find((candidate) => candidate.id === operationId);
      const answer = found?.operation.responses[String(status)];
      const response = answer === undefined ? undefined : resolve(answer);
      const schema = response?.schema ?? response?.content?.['application/json']?.schema;
      if (schema === undefined) return [`${operationId} documents no answer for ${status}`];
      const validate = validatorOf(schema);
      // Swagger 2.0 cannot say a field may be null, and Azure DevOps' own examples answer
      // `"threadContext": null`: a null field is taken as absent.
      return validate(withoutNulls(value)) ? [] : [ajv.errorsText(validate.errors)];
    },
  };
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, inner]) => inner !== null)
      .map(([key, inner]) => [key, withoutNulls(inner)]),
  );
}

/** A Swagger 2.0 parameter's own schema keywords (type, format, enum, …). */
function swaggerParameterSchema(parameter: Parameter): object {
  const {
    name: _name,
    in: _in,
    required: _required,
    ...schema
  } = parameter as Parameter & Record<string, unknown>;
  return schema;
}

/** `#/x/y` → `forge#/x/y`, so a schema compiled alone finds its references. */
function retarget(value: unknown): any {
  if (Array.isArray(value)) return value.map(retarget);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/')
        ? `forge${inner}`
        : retarget(inner),
    ]),
  );
}
