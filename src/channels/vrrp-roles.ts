// Which interfaces carry a VRRP instance, and whether this box is master there: VRRP
// publishes each instance's state, DHCP reads it (a box that is backup on an interface
// leaves that interface's clients to the master), so neither reaches into the other.
// `triad run` creates one and hands it to every service through RunOptions.

export type RoleState = 'init' | 'backup' | 'master' | 'fault';

export class VrrpRoles {
  /** interface → instance name → state */
  private byIface = new Map<string, Map<string, RoleState>>();

  set(iface: string, instance: string, state: RoleState): void {
    for (const [i, m] of this.byIface) if (i !== iface) m.delete(instance);
    let m = this.byIface.get(iface);
    if (!m) this.byIface.set(iface, (m = new Map()));
    m.set(instance, state);
  }

  /** A new configuration: instances no longer configured say nothing about any interface. */
  retain(instances: readonly string[]): void {
    for (const m of this.byIface.values()) for (const name of m.keys()) if (!instances.includes(name)) m.delete(name);
  }

  /** True when VRRP instances live on `iface` and none of them is master here. */
  standby(iface: string): boolean {
    const m = this.byIface.get(iface);
    if (!m || m.size === 0) return false;
    for (const s of m.values()) if (s === 'master') return false;
    return true;
  }
}
