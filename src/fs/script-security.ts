// Who VRRP's scripts run as, and whether one may run (keepalived.conf's `global_defs {
// script_user USER [GROUP]; enable_script_security }`), as keepalived decides: scripts
// run as script_user, else as `keepalived_script` when that user exists, else as root.
// A script run as root that a non-root user could modify or replace (the file, or any
// directory on its path, owned by or writable for someone other than root) is refused
// with enable_script_security, and only warned about without it.
// The decisions are pure (a stat function is passed in); lookups of users are at the edge.

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';

export interface ScriptUser {
  name: string;
  uid: number;
  gid: number;
}

export interface FileFacts {
  uid: number;
  gid: number;
  mode: number;
  dir: boolean;
}

const S_IWGRP = 0o020;
const S_IWOTH = 0o002;
const S_ISVTX = 0o1000;

/**
 * Why a script run as root is unsafe, or undefined when only root can change it.
 * `file` is absolute; every directory from / down to it is looked at.
 */
export function unsafeReason(file: string, stat: (p: string) => FileFacts | undefined): string | undefined {
  const parts = file.split('/').filter(Boolean);
  let at = '/';
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) at = path.posix.join(at, parts[i - 1]);
    const f = stat(at);
    if (!f) return `${at} cannot be read`;
    if (f.uid !== 0) return `${at} is owned by uid ${f.uid}, not root`;
    // In a world-writable sticky directory (/tmp) others cannot replace what root owns.
    const others = (f.mode & S_IWOTH) !== 0 && !(f.dir && (f.mode & S_ISVTX) !== 0 && i < parts.length);
    if (others) return `${at} is writable by every user`;
    if ((f.mode & S_IWGRP) !== 0 && f.gid !== 0 && !(f.dir && (f.mode & S_ISVTX) !== 0 && i < parts.length)) return `${at} is writable by group ${f.gid}`;
  }
  return undefined;
}

/** The program a script line runs: its first word, looked up in PATH when it has no slash. */
export function scriptProgram(cmd: string, envPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', exists: (p: string) => boolean = (p) => statFacts(p) !== undefined): string | undefined {
  const bin = cmd.split(/\s+/).filter(Boolean)[0];
  if (!bin) return undefined;
  if (bin.includes('/')) return path.resolve(bin);
  for (const d of envPath.split(':').filter(Boolean)) {
    const p = path.join(d, bin);
    if (exists(p)) return p;
  }
  return undefined;
}

export function statFacts(p: string): FileFacts | undefined {
  try {
    const s = statSync(p);
    return { uid: s.uid, gid: s.gid, mode: s.mode, dir: s.isDirectory() };
  } catch {
    return undefined;
  }
}

/** One passwd or group entry through NSS (getent), or undefined when there is none. */
function getent(db: 'passwd' | 'group', key: string): string[] | undefined {
  try {
    return execFileSync('getent', [db, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]?.split(':');
  } catch {
    return undefined;
  }
}

/**
 * The user scripts run as: `script_user USER[:GROUP]` (as the parser joins them), else
 * keepalived_script when it exists, else root. Throws for a user or group that does not exist.
 */
export function resolveScriptUser(scriptUser: string | undefined): ScriptUser {
  if (scriptUser === undefined) {
    const k = getent('passwd', 'keepalived_script');
    return k ? { name: 'keepalived_script', uid: Number(k[2]), gid: Number(k[3]) } : { name: 'root', uid: 0, gid: 0 };
  }
  const [user, group] = scriptUser.split(':');
  const pw = getent('passwd', user);
  if (!pw) throw new Error(`script_user ${user}: no such user`);
  let gid = Number(pw[3]);
  if (group !== undefined) {
    const gr = getent('group', group);
    if (!gr) throw new Error(`script_user ${user} ${group}: no such group`);
    gid = Number(gr[2]);
  }
  return { name: user, uid: Number(pw[2]), gid };
}

/** Where a policy logs its verdicts. */
export interface ScriptLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The scripts of one keepalived.conf (VRRP's notify and vrrp_script, the load balancer's
 * MISC_CHECK): who they run as, and whether each may run. A verdict is decided once per
 * script line and configuration, and logged once.
 */
export class ScriptPolicy {
  private verdicts = new Map<string, boolean>();

  constructor(
    readonly user: ScriptUser,
    private readonly enableScriptSecurity: boolean,
    private readonly log: ScriptLog,
  ) {}

  /** From global_defs' script_user and enable_script_security; throws for an unknown user. */
  static from(scriptUser: string | undefined, enableScriptSecurity: boolean, log: ScriptLog): ScriptPolicy {
    return new ScriptPolicy(resolveScriptUser(scriptUser), enableScriptSecurity, log);
  }

  /** spawn options running a script as the script user (nothing to change when that is who Triad is). */
  spawnOptions(): { uid?: number; gid?: number } {
    const u = this.user;
    return typeof process.getuid === 'function' && process.getuid() === u.uid ? {} : { uid: u.uid, gid: u.gid };
  }

  /**
   * enable_script_security, as keepalived: a script run as root that a non-root user can
   * modify or replace is refused (without the option it runs, with a warning).
   */
  allowed(cmd: string, what: string): boolean {
    const known = this.verdicts.get(cmd);
    if (known !== undefined) return known;
    let ok = true;
    if (this.user.uid === 0) {
      const prog = scriptProgram(cmd);
      const why = prog === undefined ? undefined : unsafeReason(prog, statFacts);
      if (why && this.enableScriptSecurity) {
        ok = false;
        this.log.error({ script: cmd }, `${what} '${cmd}' refused: it would run as root and ${why} (enable_script_security)`);
      } else if (why) {
        this.log.warn({ script: cmd }, `${what} '${cmd}' runs as root although ${why}; set enable_script_security in global_defs to refuse it, or script_user to run it as another user`);
      }
    }
    this.verdicts.set(cmd, ok);
    return ok;
  }
}
