/**
 * What a module of one's own (library/*.js, *.mjs, *.ts) is given when its file exports a
 * function: `export default ({ defineModule, fileFact, quote }) => defineModule({ ... })`. The same
 * pieces the built-in modules are made of; a module that needs none may export the definition itself.
 */
import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { writeFileAtomic } from '../modules/lib/atomic.js';
import { defineFact, existsFact, fileFact, sysctlFact } from '../modules/lib/facts.js';
import { isTemplated } from '../vars/template.js';
import { defineModule } from '../modules/types.js';

/** validate() runs before the run with `{{ }}` values as written, and again once they are rendered: isTemplated tells which. */
export const LIBRARY_API = { defineModule, defineFact, fileFact, sysctlFact, existsFact, quote, shellJoin, writeFileAtomic, isTemplated, InputError };
export type LibraryApi = typeof LIBRARY_API;
