/** How the frozen set joins the new kernel: linked into vmlinux, or as (into) a module that links against exports. */
export type LinkMode = 'built-in' | 'module';
