/**
 * The architectures relinkable models, named by their ELF e_machine numbers (what every
 * input carries) and by the names the signatures/ catalogue uses.
 */

export const EM_386 = 3;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

export const ARCHITECTURES = ['x86_64', 'i386', 'aarch64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export function architectureOf(machine: number): Architecture | 'other' {
  return machine === EM_X86_64 ? 'x86_64' : machine === EM_386 ? 'i386' : machine === EM_AARCH64 ? 'aarch64' : 'other';
}
