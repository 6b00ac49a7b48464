import { analyze } from '../../src/run/analyze.js';
import { fixture, fixtureFiles, scratchFile, type FuzzTarget } from '../target.js';

const MODULE_SECTION = Buffer.from('.gnu.linkonce.this_module', 'latin1');

/**
 * `check` end to end, short of rendering: a frozen object (a module when it has the module
 * section, else an object to relink) against the fixture kernel, fixtures/new-kernel.
 */
export const checkTarget: FuzzTarget = {
  name: 'check',
  input: 'a frozen object or module, checked against fixtures/new-kernel',
  async: true,
  seeds: () => fixtureFiles('frozen', /\.(o|ko)$/),
  file: (data) => scratchFile(data.includes(MODULE_SECTION) ? 'fuzzed.ko' : 'fuzzed.o', data),
  read: (_data, path) => analyze([path], { kernel: fixture('new-kernel') }),
};
