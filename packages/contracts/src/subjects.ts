/**
 * NATS subjects. Request/reply subjects are `<service>.<entity>.<verb>`; each service answers
 * in a queue group named after itself so replicas share the load.
 */
export const RPC = {
  billing: {
    balanceGet: 'billing.balance.get',
    topupCreate: 'billing.topup.create',
    holdPlace: 'billing.hold.place',
    /** Several holds in one request, each answered as `billing.hold.place` would (the router batches its holds). */
    holdPlaceMany: 'billing.hold.placeMany',
    /** A closed attempt's hold released at once (a fallback's; the `hold.release_requested` event is its backstop). */
    holdRelease: 'billing.hold.release',
    tokenCharge: 'billing.tokens.charge',
    usageList: 'billing.usage.list',
    checkoutCreate: 'billing.checkout.create',
    stripeEvent: 'billing.stripe.event',
    ledgerCheck: 'billing.ledger.check',
    keySpend: 'billing.keys.spend',
    /** An org's top-ups, newest first (the dashboard's billing history). */
    topupList: 'billing.topups.list',
  },
  router: {
    generationCreate: 'router.generation.create',
    generationGet: 'router.generation.get',
    generationList: 'router.generation.list',
    modelsList: 'router.models.list',
    modelGet: 'router.models.get',
    responseCreate: 'router.response.create',
    responseGet: 'router.response.get',
    responseCancel: 'router.response.cancel',
    /** Where a generation's stored file is (the gateway streams it or signs a fresh link). */
    outputGet: 'router.output.get',
    /** The OpenAI Videos face (`/v1/videos`) of the same generations. */
    videoCreate: 'router.video.create',
    videoGet: 'router.video.get',
    videoList: 'router.video.list',
    videoDelete: 'router.video.delete',
    enginesList: 'router.engines.list',
    rankings: 'router.apps.rankings',
    rankingsSettingsGet: 'router.apps.rankings_settings.get',
    rankingsSettingsUpdate: 'router.apps.rankings_settings.update',
  },
  providers: {
    jobSubmit: 'providers.job.submit',
    jobCancel: 'providers.job.cancel',
    /** Bring your own key (issue 22): an org's own provider keys, encrypted in the providers service. */
    keyPut: 'providers.keys.put',
    keyList: 'providers.keys.list',
    keyDelete: 'providers.keys.delete',
    /** The providers an org has a verified key for (the router prices and routes on it). */
    keyActive: 'providers.keys.active',
  },
  webhooks: {
    endpointCreate: 'webhooks.endpoint.create',
    endpointList: 'webhooks.endpoint.list',
    endpointGet: 'webhooks.endpoint.get',
    endpointUpdate: 'webhooks.endpoint.update',
    endpointDelete: 'webhooks.endpoint.delete',
    endpointRotate: 'webhooks.endpoint.rotate',
    endpointTest: 'webhooks.endpoint.test',
    deliveryList: 'webhooks.delivery.list',
    deliveryRetry: 'webhooks.delivery.retry',
  },
} as const;

/** Durable events (JetStream stream `PIPEVIDEO`): `<entity>.<past-tense>`. */
export const EVENTS = {
  /** A provider job reached a final state (from a verified callback or a poll). */
  providerJobFinished: 'provider_job.finished',
  /** A Framerate job finished composing and reported its orchestration token usage. */
  providerJobUsageReported: 'provider_job.usage_reported',
  /** A running provider job moved on (progress, queue position, phase), as its provider reported it. */
  providerJobProgressed: 'provider_job.progressed',
  /** An attempt's hold must be released because the router moved on to another route. */
  holdReleaseRequested: 'hold.release_requested',
  /** A generation (either API) reached a final state: billing settles, webhooks notify. */
  generationFinished: 'generation.finished',
} as const;

/**
 * Broadcast notices (core NATS publish, no JetStream, no queue group: every replica of every subscriber
 * gets each one, none is stored). For state other services mirror in memory and can re-read on a miss;
 * a subscriber drops its mirror whenever notices may have been lost (connection gap, `generationViewReset`).
 */
export const BROADCASTS = {
  /**
   * `generation.updated.<orgId>`: a generation's public view changed (status, attempts, provider, output,
   * usage, deleted) and the change is committed. Published by the router after the commit
   * (GenerationAnnouncer); payload `GenerationUpdatedMsg`. Subscribe `generation.updated.>`
   * (all orgs) or `generation.updated.<orgId>` (one org).
   */
  generationUpdated: 'generation.updated',
  /** Notices about generations may have been lost (a router started, perhaps after dying mid-announcement): drop what you mirror. */
  generationViewReset: 'generation.view_reset',
  /** The public catalog (`/v1/models`, `/v1/engines`) may have changed (a router started): re-read it. */
  catalogUpdated: 'catalog.updated',
  /**
   * `provider_keys.changed`: an org saved or deleted its own provider key (bring your own key); payload
   * `{ v: 1, orgId }`. Published by the providers service after the change is committed; routers drop
   * what they cache of that org's keys.
   */
  providerKeysChanged: 'provider_keys.changed',
} as const;

/** The subject of one org's generation updates. */
export const generationUpdatedSubject = (orgId: string) => `${BROADCASTS.generationUpdated}.${orgId}`;

export type EventSubject = (typeof EVENTS)[keyof typeof EVENTS];
export const ALL_EVENT_SUBJECTS: string[] = Object.values(EVENTS);
export const EVENT_STREAM = 'PIPEVIDEO';

export const SERVICE_QUEUE = {
  billing: 'billing',
  router: 'router',
  providers: 'providers',
  webhooks: 'webhooks',
} as const;
