// The import directions docs/architecture.md states, checked over the real import graph so that a
// new crossing fails `npm test` instead of waiting for a review. Type-only imports count: a type is
// a dependency on the module that owns it.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** The top-level folder (or entry file) under src/ that a file belongs to. */
export type Layer = string;

export type DirectionRule = {
  layer: Layer;
  /** Layers it must not import. */
  forbidden?: readonly Layer[];
  /** When set, the only layers it may import (its own layer is always allowed). */
  onlyLayers?: readonly Layer[];
  /** When set, the only npm packages it may import (node built-ins are always allowed). */
  onlyPackages?: readonly string[];
};

/** A crossing that exists today and is owned by a named point of issue #16. */
export type KnownViolation = { file: string; imports: string; removedBy: string };

export type Violation = { file: string; imports: string; reason: string };

export type ImportDirectionsResult = {
  violations: Violation[];
  /** Known violations that no longer occur: the list must shrink with the code. */
  staleAllowances: KnownViolation[];
};

const BUILTINS = new Set(builtinModules);

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

function layerOf(srcRelative: string): Layer {
  const [first] = srcRelative.split('/');
  return (first ?? srcRelative).replace(/\.ts$/, '');
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Every module specifier in the file: import, import type, export … from, import(), require(). */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

export function checkImportDirections(
  srcDir: string,
  rules: readonly DirectionRule[],
  known: readonly KnownViolation[] = [],
): ImportDirectionsResult {
  const byLayer = new Map(rules.map((r) => [r.layer, r]));
  const violations: Violation[] = [];
  const used = new Set<KnownViolation>();
  for (const path of sourceFiles(srcDir)) {
    const file = relative(srcDir, path).split(sep).join('/');
    const layer = layerOf(file);
    const rule = byLayer.get(layer);
    if (rule === undefined) continue;
    for (const specifier of importsOf(readFileSync(path, 'utf8'))) {
      const reason = breach(rule, file, specifier);
      if (reason === null) continue;
      const target = specifier.startsWith('.')
        ? posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts')
        : specifier;
      const allowance = known.find((k) => k.file === file && k.imports === target);
      if (allowance !== undefined) used.add(allowance);
      else violations.push({ file, imports: target, reason });
    }
  }
  return { violations, staleAllowances: known.filter((k) => !used.has(k)) };
}

function breach(rule: DirectionRule, file: string, specifier: string): string | null {
  if (specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    if (target.startsWith('..')) return `${rule.layer} imports outside src/`;
    const targetLayer = layerOf(target);
    if (targetLayer === rule.layer) return null;
    if (rule.forbidden?.includes(targetLayer))
      return `${rule.layer} must not import ${targetLayer}`;
    if (rule.onlyLayers !== undefined && !rule.onlyLayers.includes(targetLayer)) {
      return `${rule.layer} may import only ${[rule.layer, ...rule.onlyLayers].join(', ')}`;
    }
    return null;
  }
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return null;
  if (rule.onlyPackages !== undefined && !rule.onlyPackages.includes(packageName(specifier))) {
    return `${rule.layer} may import only the packages ${rule.onlyPackages.join(', ')}`;
  }
  return null;
}

/** Import cycles among the files under srcDir (type-only imports count), each as the files in order. */
export function findImportCycles(srcDir: string): string[][] {
  const graph = new Map<string, string[]>();
  for (const path of sourceFiles(srcDir)) {
    const file = relative(srcDir, path).split(sep).join('/');
    const targets = importsOf(readFileSync(path, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) =>
        posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts'),
      );
    graph.set(file, targets);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)));
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (state.get(file) === undefined) visit(file);
  return cycles;
}
