/**
 * Least privilege on NATS: what each service may publish and subscribe, derived from the architecture's
 * edges (who calls whom, who emits which durable event). A service answers its own request subjects
 * (replies go back through `allow_responses`), calls only the services it needs, publishes only the
 * events it owns, and uses JetStream through its API subjects. `natsAuthorization` turns this into the
 * `authorization` block of a nats-server configuration (JSON is valid nats-server configuration); the
 * end-to-end tests run with it on, so a missing permission fails a test.
 */
import { ALL_EVENT_SUBJECTS, BROADCASTS, EVENTS, RPC } from './subjects';

export const NATS_SERVICES = ['gateway', 'billing', 'router', 'providers', 'webhooks'] as const;
export type NatsService = (typeof NATS_SERVICES)[number];

/** The services each service sends requests to. */
export const NATS_CALLS: Record<NatsService, readonly NatsService[]> = {
  // providers: an org's own provider keys (BYOK) are stored and verified by the service that uses them.
  gateway: ['router', 'billing', 'webhooks', 'providers'],
  // router → billing: every billing subject, holds included (`billing.hold.place` and the batched `billing.hold.placeMany`).
  router: ['billing', 'providers'],
  billing: [],
  providers: [],
  webhooks: [],
};

/**
 * Edges narrower than "every request subject of the callee": the caller may send only these. The org's
 * own provider keys (bring your own key) are written only by the gateway and never read by the router,
 * which may only ask which providers an org has a key for; the gateway cannot submit provider jobs.
 */
export const NATS_CALL_SUBJECTS: Partial<Record<NatsService, Partial<Record<NatsService, readonly string[]>>>> = {
  gateway: { providers: [RPC.providers.keyPut, RPC.providers.keyList, RPC.providers.keyDelete] },
  router: { providers: [RPC.providers.jobSubmit, RPC.providers.jobCancel, RPC.providers.keyActive] },
};

/** The durable events each service publishes (through its outbox); the gateway replays dead letters (operator). */
export const NATS_EVENTS_PUBLISHED: Record<NatsService, readonly string[]> = {
  gateway: ALL_EVENT_SUBJECTS,
  router: [EVENTS.generationFinished, EVENTS.holdReleaseRequested],
  providers: [EVENTS.providerJobFinished, EVENTS.providerJobUsageReported, EVENTS.providerJobProgressed],
  billing: [],
  webhooks: [],
};

/** The broadcast notices (core NATS, `BROADCASTS`) each service publishes and subscribes. */
export const NATS_BROADCASTS: Record<NatsService, { publish: readonly string[]; subscribe: readonly string[] }> = {
  gateway: { publish: [], subscribe: [`${BROADCASTS.generationUpdated}.>`, BROADCASTS.generationViewReset, BROADCASTS.catalogUpdated] },
  router: { publish: [`${BROADCASTS.generationUpdated}.>`, BROADCASTS.generationViewReset, BROADCASTS.catalogUpdated], subscribe: [BROADCASTS.providerKeysChanged] },
  billing: { publish: [], subscribe: [] },
  providers: { publish: [BROADCASTS.providerKeysChanged], subscribe: [] },
  webhooks: { publish: [], subscribe: [] },
};

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  allow_responses: boolean;
}

/** The permissions of one service under a subject prefix (`PIPEVIDEO_NATS_PREFIX` + '.', or ''). */
export function natsPermissions(service: NatsService, prefix = ''): NatsPermissions {
  return {
    publish: {
      allow: [
        ...NATS_CALLS[service].flatMap((s) => NATS_CALL_SUBJECTS[service]?.[s]?.map((subject) => `${prefix}${subject}`) ?? [`${prefix}${s}.>`]),
        ...NATS_EVENTS_PUBLISHED[service].map((e) => `${prefix}${e}`),
        ...NATS_BROADCASTS[service].publish.map((b) => `${prefix}${b}`),
        `${prefix}deadletter.>`, // a consumer's dead letters
        '$JS.API.>', // JetStream: streams, consumers, pulls, key-value buckets
        '$JS.ACK.>',
        '$KV.>',
      ],
    },
    subscribe: { allow: [`${prefix}${service}.>`, '_INBOX.>', ...NATS_BROADCASTS[service].subscribe.map((b) => `${prefix}${b}`)] },
    allow_responses: true,
  };
}

/** A nats-server `authorization` block: one user per service (`password` by service). */
export function natsAuthorization(passwords: Record<NatsService, string>, prefix = ''): { users: Array<{ user: string; password: string; permissions: NatsPermissions }> } {
  return { users: NATS_SERVICES.map((s) => ({ user: s, password: passwords[s], permissions: natsPermissions(s, prefix) })) };
}
