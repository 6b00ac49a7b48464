/** How the frozen set joins the new kernel: linked into vmlinux, or as (into) a module that links against exports. */
export type LinkMode = 'built-in' | 'module';

/**
 * What is certified and reused, and so what the new kernel's build and loader see of it:
 * - `relinked`: the frozen objects are linked by the new tree's kbuild (into vmlinux or a new
 *   .ko); modpost writes `__versions`, `.gnu.linkonce.this_module`, vermagic and the
 *   module's BTF anew, so what the old build wrote there does not matter;
 * - `as-is`: a .ko whose bytes are certified whole and loaded unchanged: its CRCs,
 *   `struct module` size, vermagic, split BTF and signature meet the new loader as they are.
 */
export type FrozenUse = 'relinked' | 'as-is';

/** The use an input has unless the command line says otherwise: a .ko is loaded as is, a .o is relinked. */
export function defaultUse(isModule: boolean): FrozenUse {
  return isModule ? 'as-is' : 'relinked';
}
