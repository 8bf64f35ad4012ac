import apt, { type AptArgs } from './apt.js';
import { defineModule } from './types.js';

/** `package` is apt under Ansible's generic name (the hosts fabric targets are Debian-family). */
export default defineModule<AptArgs>({ ...apt, name: 'package' });
