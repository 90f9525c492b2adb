/**
 * Several instances of one host behind a load balancer: each has a name,
 * which starts every pair id it hands out, so whoever receives a half of a
 * pair knows which instance holds the call; membership says where that
 * instance is. See docs/deploy.md.
 */
import type { PeerSessionOptions } from "./peer-session.js";

/** Where the instances of a cluster are. */
export interface Membership {
  /**
   * The URL other instances reach instance `name` at (`http://` for h2c,
   * `https://`), or undefined if it is not a member now: its calls are gone.
   */
  resolve(name: string): string | undefined | Promise<string | undefined>;
}

export interface ClusterOptions extends PeerSessionOptions {
  /**
   * This instance's name: the first part of its pair ids, which a balancer
   * may route by (docs/deploy.md). Lower-case letters, digits and inner
   * hyphens, at most 32. Unique in the cluster; keep it across restarts only
   * if the balancer routes by it (a restarted instance has none of the old calls).
   */
  instanceId: string;
  /** Where the other instances are; a pair half for one of them is forwarded there. */
  membership: Membership;
}

/** A name an instance may have (the part of a pair id before the dot). */
export const INSTANCE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** The instance part of a well-formed pair id, and its random part. */
export const PAIR_ID = /^([a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?)\.([A-Za-z0-9_-]{22})$/;

export function checkInstanceName(name: string): void {
  if (!INSTANCE_NAME.test(name)) {
    throw new TypeError(
      `instance name ${JSON.stringify(name)} is not allowed: use 1 to 32 lower-case letters, digits and inner hyphens`,
    );
  }
}

/** A fixed list: instance name → URL. What most deployments (a config file, a compose file) know up front. */
export function staticMembership(instances: Record<string, string>): Membership {
  const urls = new Map<string, string>();
  for (const [name, url] of Object.entries(instances)) {
    checkInstanceName(name);
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new TypeError(`instance ${name}: ${url} is not an http:// (h2c) or https:// URL`);
    }
    urls.set(name, parsed.origin);
  }
  return { resolve: (name) => urls.get(name) };
}
