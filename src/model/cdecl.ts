import { resolved, sizeOf, type TypeGraph, type TypeNode, type TypeRef } from '../graph/type-graph.js';
import { nestedTooDeep, pastNestingLimit } from './nesting.js';

/**
 * C declarations from the type model, for findings a kernel engineer reads: a prototype,
 * a variable, a struct with pahole-style offset comments. Output is stable, so two
 * versions can be diffed line by line.
 */

function tagged(kind: 'struct' | 'union' | 'enum', name: string | undefined): string {
  return name ? `${kind} ${name}` : `${kind} {...}`;
}

/** `const char *name`, `int (*fn)(int)`, `struct x name[4]`: `inner` is the declarator so far. */
export function declare(graph: TypeGraph, ref: TypeRef, inner = '', depth = 0): string {
  const pad = (base: string) => (inner ? `${base} ${inner}` : base);
  if (pastNestingLimit(depth)) throw nestedTooDeep(graph, ref, 'declarator');
  const node = graph.node(ref);
  switch (node.kind) {
    case 'void':
      return pad('void');
    case 'int':
    case 'float':
      return pad(node.name || `${node.kind}${node.size * 8}`);
    case 'struct':
    case 'union':
    case 'enum':
      return pad(tagged(node.kind, node.name));
    case 'typedef':
      return pad(node.name);
    case 'unknown':
      return pad(`/* ${node.reason} */`);
    case 'qualifier': {
      const target = graph.node(node.target);
      // "const char *p": a qualifier on a non-pointer goes in front of the base type.
      if (target.kind === 'pointer') return declare(graph, node.target, `${node.qualifier}${inner ? ` ${inner}` : ''}`, depth + 1);
      return `${node.qualifier} ${declare(graph, node.target, inner, depth + 1)}`;
    }
    case 'pointer': {
      const target = graph.node(node.target);
      const needsParens = target.kind === 'array' || target.kind === 'function';
      return declare(graph, node.target, needsParens ? `(*${inner})` : `*${inner}`, depth + 1);
    }
    case 'array':
      return declare(graph, node.element, `${inner}[${node.count ?? ''}]`, depth + 1);
    case 'function': {
      const params = node.params.map((p) => declare(graph, p.type, p.name ?? '', depth + 1));
      if (node.variadic) params.push('...');
      if (params.length === 0 && node.prototyped) params.push('void');
      return declare(graph, node.returns, `${inner}(${params.join(', ')})`, depth + 1);
    }
  }
}

/** How a type is written in a cast: `struct ratelimit_state *`. */
export function typeName(graph: TypeGraph, ref: TypeRef): string {
  return declare(graph, ref).replace(/ +$/, '');
}

export function prototype(graph: TypeGraph, fn: TypeRef, name: string): string {
  return declare(graph, fn, name);
}

function bits(n: number): string {
  return n % 8 === 0 ? String(n / 8) : `${Math.floor(n / 8)}:${n % 8}`;
}

/**
 * A struct, union or enum written out with its members, and for each member its offset and
 * size in bytes (bit offset for bitfields), like pahole. Anonymous aggregates are expanded
 * inline; named ones are referred to by name.
 */
export function definition(graph: TypeGraph, ref: TypeRef): string {
  const { node } = resolved(graph, ref);
  const lines: string[] = [];
  emit(graph, node, 0, 0, lines);
  return lines.join('\n');
}

function emit(graph: TypeGraph, node: TypeNode, indent: number, baseBits: number, lines: string[], declarator = ''): void {
  const pad = '\t'.repeat(indent);
  if (node.kind === 'enum') {
    lines.push(`${pad}${tagged('enum', node.name)} {`);
    for (const v of node.values) lines.push(`${pad}\t${v.name} = ${v.value},`);
    lines.push(`${pad}}${declarator ? ` ${declarator}` : ''};`);
    return;
  }
  if (node.kind !== 'struct' && node.kind !== 'union') {
    lines.push(`${pad}/* ${node.kind} */`);
    return;
  }
  if (node.size === undefined) {
    lines.push(`${pad}${tagged(node.kind, node.name)}${declarator ? ` ${declarator}` : ''}; /* declaration only */`);
    return;
  }
  lines.push(`${pad}${node.kind}${node.name ? ` ${node.name}` : ''} {`);
  for (const m of node.members) {
    const member = graph.node(m.type);
    const at = baseBits + m.bitOffset;
    if ((member.kind === 'struct' || member.kind === 'union') && !member.name) {
      emit(graph, member, indent + 1, at, lines, m.name ?? '');
      continue;
    }
    const decl = declare(graph, m.type, m.name ?? '');
    const size = m.bitSize !== undefined ? `${m.bitSize} bits` : `${sizeOf(graph, m.type) ?? '?'}`;
    lines.push(`${pad}\t${decl}${m.bitSize !== undefined ? `:${m.bitSize}` : ''}; /* ${bits(at)} ${size} */`);
  }
  lines.push(`${pad}}${declarator ? ` ${declarator}` : ''}; /* size ${node.size} */`);
}
