/**
 * JSON Schemas (2020-12, OpenAPI 3.1) of every success body of the public API. The bodies come from the
 * services that own them (router, billing, webhooks, the gateway's own orgs) and pass through unchanged;
 * these schemas say exactly what they hold: every object is closed (`additionalProperties: false`), so a
 * field a service adds without documenting it here fails `test/openapi-style.spec.ts` and the end-to-end
 * contract suite, which validates real answers against the served document (docs/api-style.md).
 */
import { GENERATION_ERROR_CODES, GENERATION_ERROR_MEANINGS, WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT_TYPE } from '@pipevideo/contracts';

export type JsonSchema = Record<string, unknown>;

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const int = (description?: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}), ...extra });
const num = (description?: string): JsonSchema => ({ type: 'number', ...(description ? { description } : {}) });
const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
const arr = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...(description ? { description } : {}) });
const enumOf = (values: readonly string[], description?: string): JsonSchema => ({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
/** A primitive or an enum that may be null. */
const orNull = (s: JsonSchema): JsonSchema =>
  s.$ref ? { anyOf: [s, { type: 'null' }] } : { ...s, type: [s.type as string, 'null'], ...(s.enum ? { enum: [...(s.enum as unknown[]), null] } : {}) };
/** A closed object: every property listed is required unless named in `optional`. */
const obj = (properties: Record<string, JsonSchema>, description?: string, optional: string[] = []): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
});
/** The one list envelope of the API (docs/api-style.md). */
const list = (item: JsonSchema, description: string, extra: Record<string, JsonSchema> = {}, optional: string[] = []): JsonSchema =>
  obj(
    {
      object: enumOf(['list']),
      data: arr(item),
      has_more: bool('True when more items exist beyond this page (pass next_cursor as cursor to get them).'),
      next_cursor: orNull(str('Opaque cursor of the next page; null on the last page (and for lists that are not paged).')),
      ...extra,
    },
    description,
    optional,
  );

const UNIX = 'Unix seconds.';
const GENERATION_ERROR_CODE = enumOf(
  GENERATION_ERROR_CODES,
  `Why the generation failed (stable; docs/api-style.md): ${GENERATION_ERROR_CODES.map((c) => `\`${c}\` — ${GENERATION_ERROR_MEANINGS[c]}`).join('; ')}.`,
);
const PUBLIC_PROVIDER = str('Public provider slug: `fal`, `replicate`, `framerate`, or `pipevideo` for routes Pipevideo runs itself (internal, not user-selectable).');

/** Progress fields of both APIs' objects (docs/outputs.md, "Progress"). */
const progressProps = {
  progress: int('0–100: how far the job is, as its provider reports it (mapped per provider; estimated from the phase where the provider gives no number); 100 once completed.', { minimum: 0, maximum: 100 }),
  queue_position: orNull(int('While queued at the provider: jobs ahead of this one (fal reports it); null otherwise.', { minimum: 0 })),
  phase: orNull(
    str('Where the job is while it runs: queued, submitted, starting, processing, composing, rendering (Framerate), storing (we are copying the output in); `completed` once done; null after a failure.'),
  ),
};
const RETAINED_UNTIL = orNull(int('When the stored output is deleted (unix seconds; retention is set per deployment, 7 days by default). After it, the link fields are null and …/content answers 410.'));

const capabilities = obj({ text_to_video: bool(), image_to_video: bool(), audio: bool() });
const modelPrice = obj(
  {
    resolution: str(),
    duration: int('Seconds of video (the model default).'),
    per_request_cents: num(),
    per_second_cents: num(),
    audio_multiplier: num('Multiplier of the per-second price with audio.'),
    provider: PUBLIC_PROVIDER,
    request_cents: int('What such a request is charged: per_request + per_second × duration, rounded up to whole cents.'),
  },
  'The price of a default-duration request without audio at one resolution, on the cheapest route offering it.',
);
const modelOption = obj(
  {
    type: enumOf(['boolean', 'integer', 'number', 'string', 'enum', 'media_url']),
    description: str(),
    minimum: num(),
    maximum: num(),
    max_length: int(),
    values: arr(str()),
    requires_image: bool(),
    providers: arr(PUBLIC_PROVIDER, 'Providers whose routes take the option (others become ineligible when it is sent).'),
    price: {
      description: 'Price effect when the option is sent with a value other than false.',
      anyOf: [enumOf(['none']), obj({ per_request_cents: num(), per_second_multiplier: num() }, undefined, ['per_request_cents', 'per_second_multiplier'])],
    },
  },
  'A model-specific option accepted in `options`.',
  ['minimum', 'maximum', 'max_length', 'values', 'requires_image', 'providers'],
);
const endpoint = obj({
  provider: PUBLIC_PROVIDER,
  user_selectable: bool('Can be named in provider.order.'),
  resolutions: arr(str()),
  pricing: arr(obj({ resolution: str(), per_request_cents: num(), per_second_cents: num() })),
  audio_multiplier: num(),
  capabilities,
  max_duration: int(),
  durations: arr(int(), 'The exact durations (seconds) this endpoint makes.'),
  aspect_ratios: arr(str()),
  options: arr(str(), 'Names of the model options this endpoint takes.'),
  health: obj(
    {
      window_seconds: int('The measurement window (recent traffic, shared by every router replica).'),
      samples: int('Outcomes measured in the window.'),
      uptime_percent: orNull(num('Successful outcomes in %; null without outcomes.')),
      typical_completion_seconds: orNull(num('Median seconds from submit to completion of successful jobs.')),
      completion_seconds_p90: orNull(num()),
      recent_failures: arr(obj({ kind: str(), count: int() }), 'Failure kinds in the window, most frequent first.'),
    },
    'Measured route health (routing prefers healthy routes; provider.sort latency/success use it).',
  ),
}, undefined, ['health']);

const attempt = obj(
  {
    attempt: int(),
    model: str(),
    provider: PUBLIC_PROVIDER,
    outcome: enumOf(['in_progress', 'succeeded', 'failed', 'rejected', 'reservation_failed', 'timed_out', 'abandoned', 'cancelled']),
    error_code: orNull(GENERATION_ERROR_CODE),
    started_at: int(UNIX),
    ended_at: orNull(int(UNIX)),
  },
  'One route tried (extension). The provider’s own error text stays with the operator.',
);

const usage = obj({
  input_tokens: int(),
  output_tokens: int(),
  total_tokens: int(),
  cost_usd: num('Exact cost of the tokens at the published per-million-token rates (fractional USD); 0 when refunded.'),
  charged_cents: int('Whole cents charged for them (cost_usd rounded up); 0 when refunded.'),
  estimated: bool('True when the provider reported no usage and the counts are the no-usage rule’s (estimated input + output cap).'),
});

const outputVideo = obj({ type: enumOf(['output_video']), video_url: obj({ url: str(), expires_at: int(UNIX) }) });
const outputMessage = obj({
  type: enumOf(['message']),
  id: str(),
  role: enumOf(['assistant']),
  status: enumOf(['in_progress', 'completed', 'incomplete']),
  content: arr(outputVideo),
});

const balanceProps = {
  balance_cents: int('Credits on the balance (available + held).'),
  held_cents: int('Held by running jobs.'),
  available_cents: int('What new work can use.'),
  owed_cents: int(
    'Cents the organization owes: usage it could not cover, or credits Stripe took back after they were spent or while held. Any top-up pays it first; while above 0 no generation can be created.',
  ),
};

const webhookEndpointProps = {
  id: str(undefined, { example: 'ep_0123456789abcdef0123456789abcdef' }),
  object: enumOf(['webhook_endpoint']),
  url: str(),
  events: arr(enumOf(WEBHOOK_EVENT_TYPES)),
  description: str(),
  enabled: bool(),
  disabled_reason: orNull(str('Why the endpoint is disabled, null while enabled.')),
  disabled_at: orNull(int(UNIX)),
  previous_secret_expires_at: orNull(int('While a rotation’s overlap window is open, the old secret also signs until then (unix seconds).')),
  created_at: int(UNIX),
  updated_at: int(UNIX),
};

const apiKeyProps = {
  id: str(undefined, { example: 'key_8f2kLm' }),
  object: enumOf(['api_key']),
  org_id: str(),
  name: str(),
  kind: enumOf(['standard', 'management']),
  prefix: str('First characters of the secret, to recognise it.'),
  status: enumOf(['active', 'revoked', 'expired']),
  rate_limit_per_minute: orNull(int()),
  limit_cents: orNull(int('Cents the key may spend per limit_reset period; null: no limit.')),
  limit_reset: orNull(enumOf(['daily', 'weekly', 'monthly', 'none'], 'UTC calendar periods; none: the key’s whole life.')),
  created_at: int(UNIX),
  last_used_at: orNull(int(UNIX)),
  expires_at: orNull(int('When a rotated key stops working (unix seconds).')),
};
/** A key with what is left of its spend limit (GET /v1/keys, PATCH /v1/keys/{id}). */
const apiKeyWithRemainingProps = {
  ...apiKeyProps,
  limit_remaining_cents: orNull(int('What the key may still spend this period; null without a limit (or while billing cannot be asked).')),
  limit_resets_at: orNull(int('When the period ends and the limit is whole again (unix seconds); null without a limit or reset.')),
};

export const RESPONSE_SCHEMAS: Record<string, JsonSchema> = {
  // ---- Video generations (spec 003/004)
  VideoGenerationCreated: obj(
    { id: str(undefined, { example: 'gen_abc123xyz' }), status: enumOf(['pending']), model: str('The initial model (first of models).'), created_at: int(UNIX) },
    'Spec 004’s create answer.',
  ),
  GenerationAttempt: attempt,
  VideoGeneration: obj(
    {
      id: str(),
      status: enumOf(['pending', 'processing', 'completed', 'failed']),
      model: orNull(str('Model actually used (the first of models until one ran).')),
      provider: orNull(PUBLIC_PROVIDER),
      output_url: orNull(str('When completed, a signed link to our stored copy of the video; it works until expires_at (GET …/content gives a fresh one at any time until retained_until).')),
      expires_at: orNull(int('When output_url stops working (unix seconds): the link TTL or the end of retention, whichever is first.')),
      retained_until: RETAINED_UNTIL,
      ...progressProps,
      cost_cents: orNull(int('Cost in cents when completed.')),
      duration: orNull(int('Seconds of video made and billed.')),
      resolution: orNull(str('Resolution made and billed.')),
      latency_ms: orNull(int('End-to-end latency when completed.')),
      error_message: orNull(str('When failed: our own sentence, starting with spec 004’s cause (Reservation failed, Provider submission failed, …).')),
      error_code: orNull(GENERATION_ERROR_CODE),
      created_at: int(UNIX),
      completed_at: orNull(int(UNIX)),
      attempts: arr(ref('GenerationAttempt'), 'Routes tried, in order (extension).'),
    },
    'Spec 004’s poll object plus provider, error_code, duration, resolution and attempts.',
  ),
  VideoGenerationList: list(ref('VideoGeneration'), 'Generations, newest first; each item is the poll object.'),

  // ---- Catalog
  Model: obj(
    {
      id: str(undefined, { example: 'google/veo-3.1' }),
      object: enumOf(['model']),
      name: str(),
      description: str(),
      capabilities,
      default_duration: int(),
      min_duration: int(),
      max_duration: int(),
      durations: arr(int(), 'The exact durations (seconds) a request may ask for.'),
      aspect_ratios: arr(str()),
      resolutions: arr(str()),
      default_resolution: str(),
      options: { type: 'object', description: 'Model-specific options by name.', additionalProperties: modelOption },
      pricing: orNull(ref('ModelPrice')),
      pricing_by_resolution: arr(ref('ModelPrice'), 'A default-duration request without audio at each resolution the model offers.'),
      endpoints: arr(endpoint, 'Listed routes, cheapest first for a default request.'),
    },
    'A video model. `pricing` is what a default request costs (default duration and resolution, no audio); `pricing_by_resolution` beside it.',
  ),
  ModelPrice: modelPrice,
  ModelList: list(ref('Model'), 'Every model this deployment can serve.'),
  Engine: obj({
    id: enumOf(['hyperframes', 'lottie', 'auto']),
    object: enumOf(['engine']),
    name: str(),
    description: str(),
    default: bool('True for the engine used when the request names none.'),
    default_provider: str(),
    providers: arr(str()),
    output_media_type: str(),
    artifact_media_type: orNull(str()),
    models: arr(
      obj({
        id: str(),
        name: str(),
        pricing: obj({ input_per_million_usd: num(), output_per_million_usd: num(), input_per_million_cents: num(), output_per_million_cents: num() }),
      }),
    ),
    selection: orNull(obj({ rules: arr(obj({ engine: str(), keywords: arr(str()) })), fallback: str() }, 'Only for auto: which engine is picked for which prompt keywords.')),
  }),
  EngineList: list(ref('Engine'), 'Rendering engines with their orchestration models and token prices.'),

  // ---- Responses (spec 001/002)
  ResponseUsage: usage,
  ResponseObject: obj(
    {
      id: str(),
      object: enumOf(['response']),
      status: enumOf(['queued', 'in_progress', 'completed', 'failed', 'cancelled', 'incomplete']),
      model: str('Orchestration model id.'),
      engine: orNull(str('Rendering engine (auto resolved to the engine picked).')),
      provider: orNull(str('Video orchestration provider slug.')),
      created_at: int(UNIX),
      completed_at: orNull(int('Completion timestamp in milliseconds (spec 002).')),
      instructions: orNull(str()),
      max_output_tokens: orNull(int('The output cap the job runs (and is held) with.')),
      output: arr(outputMessage),
      output_video_url: orNull(str('Signed link to our stored copy of the video (the same URL as output[0].content[0].video_url.url, expiring at its expires_at).')),
      retained_until: RETAINED_UNTIL,
      ...progressProps,
      artifact_url: orNull(obj({ url: str(), expires_at: int(UNIX) }, 'Native engine artifact (e.g. Lottie JSON) when produced: its URL and when the URL expires (spec 002: an object).')),
      artifact_type: orNull(str('Media type of artifact_url.')),
      usage: orNull(ref('ResponseUsage')),
      latency_ms: orNull(int()),
      error: orNull(obj({ code: GENERATION_ERROR_CODE, message: str('Our own sentence.') })),
      incomplete_details: orNull(obj({ reason: str() })),
      metadata: { type: 'object', description: 'The request’s metadata, echoed.', additionalProperties: { type: 'string' } },
    },
    'The response object (spec 002).',
  ),
  OutputLink: obj(
    {
      object: enumOf(['output_link']),
      url: str('A signed link to the stored file (S3 presigned, or HMAC-signed for the disk driver).'),
      expires_at: int('When url stops working (unix seconds).'),
      content_type: str('video/mp4, video/webm or application/json (Lottie).'),
      bytes: int('Size of the stored file.'),
      sha256: str('Hex SHA-256 of the stored file.'),
      duration_seconds: orNull(num('Seconds, read from the file (MP4 header, Lottie frames); null when the container does not say (WebM).')),
      retained_until: int('When the file is deleted (unix seconds).'),
    },
    'A fresh link to a stored output (GET …/content?link=true).',
  ),
  ResponseCancelled: obj({ id: str(), cancelled: bool('False when the response had already finished.') }, 'Spec 002’s cancel answer.'),

  // ---- Billing
  Balance: obj(balanceProps, 'The organization’s credits in cents.'),
  UsageList: list(
    obj({
      id: str('Generation or response id.'),
      api: enumOf(['video', 'responses']),
      model: orNull(str()),
      provider: orNull(PUBLIC_PROVIDER),
      status: str('The job’s status in its own API (pending, processing, in_progress, completed, failed, cancelled, incomplete).'),
      cost_cents: int('Net cost (charged minus refunded).'),
      input_tokens: orNull(int()),
      output_tokens: orNull(int()),
      app_title: orNull(str()),
      byok: bool('The job ran on the organization’s own provider key (bring your own key): cost_cents is only the platform fee, the provider billed the organization directly.'),
      created_at: int(UNIX),
      completed_at: orNull(int(UNIX)),
    }),
    'Usage history, newest first, with the balance and totals over the whole range.',
    {
      balance: ref('Balance'),
      totals: obj({
        per_day: arr(obj({ day: str('UTC day, YYYY-MM-DD.'), count: int(), cost_cents: int() })),
        per_model: arr(obj({ model: str(), count: int(), cost_cents: int() })),
      }),
    },
  ),
  Topup: obj({
    id: str(undefined, { example: 'top_42' }),
    object: enumOf(['topup']),
    amount_cents: int('Cents added to the balance.'),
    source: str('operator, stripe or sandbox'),
    created_at: int(UNIX),
  }),
  TopupList: list(ref('Topup'), 'Top-ups of the organization, newest first.'),
  Checkout: obj({ id: str(undefined, { example: 'cs_test_123' }), url: str('Stripe Checkout page to send the customer to.') }),
  StripeWebhookReceived: obj(
    {
      received: { type: 'boolean', const: true },
      event_id: str(),
      type: str(),
      credited: bool('This delivery credited the org.'),
      duplicate: bool('The event, or another for the same Checkout session, was already credited.'),
    },
    'What Stripe reads back.',
  ),

  // ---- Bring your own key
  ProviderKey: obj(
    {
      object: enumOf(['provider_key']),
      provider: enumOf(['fal', 'replicate']),
      last4: str('The last four characters of the key; the key itself is never shown again.'),
      verified_at: int('When the provider last accepted the key (unix seconds).'),
      created_at: int(UNIX),
      updated_at: int(UNIX),
    },
    'A provider key the organization brought; routes on that provider run on it and are charged only the platform fee.',
  ),
  ProviderKeyList: list(ref('ProviderKey'), 'The organization’s provider keys, by provider (one page).'),
  ProviderKeyDeleted: obj({ object: enumOf(['provider_key']), provider: enumOf(['fal', 'replicate']), deleted: bool() }),

  // ---- Webhooks
  WebhookEndpoint: obj(webhookEndpointProps),
  WebhookEndpointWithSecret: obj({ ...webhookEndpointProps, secret: str('Signing secret (whsec_…), shown only in this answer; null in an idempotent replay.', { type: ['string', 'null'] }) }),
  WebhookEndpointList: list(ref('WebhookEndpoint'), 'Endpoints, newest first.'),
  WebhookEndpointDeleted: obj({ id: str(), object: enumOf(['webhook_endpoint']), deleted: bool() }),
  WebhookDelivery: obj({
    id: str(),
    object: enumOf(['webhook_delivery']),
    endpoint_id: str(),
    event_id: str('The webhook-id header, the same on every retry.'),
    event_type: enumOf([...WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT_TYPE]),
    status: enumOf(WEBHOOK_DELIVERY_STATUSES),
    attempts: int(),
    last_status_code: orNull(int()),
    last_error: orNull(str()),
    latency_ms: orNull(int()),
    next_attempt_at: orNull(int(UNIX)),
    created_at: int(UNIX),
    completed_at: orNull(int(UNIX)),
  }),
  WebhookDeliveryList: list(ref('WebhookDelivery'), 'Deliveries of one endpoint, newest first.'),

  // ---- Apps
  AppRankings: list(
    obj({
      app: str('Display name: the title, else the origin’s host.'),
      title: orNull(str('Sanitised title (X-Pipevideo-Title / X-Title), at most 100 characters.')),
      origin: orNull(str('Origin of the app’s Referer (scheme://host[:port]) — never a path or query.')),
      generations: int('Completed generations in the window.'),
    }),
    'Top apps by completed generations (not paged: next_cursor is null; has_more says whether a larger limit shows more).',
    { window_hours: int(), min_generations: int('Apps with fewer completed generations in the window are not shown.') },
  ),
  RankingsSettings: obj(
    { object: enumOf(['rankings_settings']), opt_out: bool('True: the organization’s apps never appear in the public rankings.'), opted_out_at: orNull(int(UNIX)) },
    'Whether the organization’s apps are left out of the public rankings.',
  ),

  // ---- Keys and orgs
  ApiKey: obj(apiKeyProps),
  IssuedApiKey: obj({ ...apiKeyProps, key: str('The secret (pv_…). Shown only in this answer; null in an idempotent replay.', { type: ['string', 'null'] }) }),
  RotatedApiKey: obj({
    ...apiKeyProps,
    key: str('The new secret (pv_…), shown only here; null in an idempotent replay.', { type: ['string', 'null'] }),
    rotated_from: str(),
    previous_key_expires_at: int('When the previous key stops working (unix seconds).'),
  }),
  ApiKeyWithRemaining: obj(apiKeyWithRemainingProps),
  ApiKeyList: list(ref('ApiKeyWithRemaining'), 'The organization’s keys (never their secrets), each with what is left of its spend limit.'),
  Organization: obj({
    id: str(undefined, { example: 'org_2x9Qb7' }),
    object: enumOf(['organization']),
    name: str(),
    rate_limit_per_minute: orNull(int('Ceiling of each key’s requests per minute (null: the gateway default).')),
    org_rate_limit_per_minute: orNull(int('Requests per minute of the whole organization, all keys together (null: the gateway default).')),
    max_keys: orNull(int('Live API keys the organization may hold (null: the gateway default).')),
    max_concurrent_generations: orNull(int('Generations pending or processing at once (null: the gateway default).')),
    status: enumOf(['active', 'suspended']),
    suspended_reason: orNull(str()),
    suspended_at: orNull(int(UNIX)),
    created_at: int(UNIX),
  }),

  // ---- OpenAI Videos API (/v1/videos): OpenAI's shapes over the same generations
  OpenAIVideo: obj(
    {
      id: str('The same id as in /v1/video/generations.', { example: 'gen_abc123xyz' }),
      object: enumOf(['video']),
      status: enumOf(['queued', 'in_progress', 'completed', 'failed'], 'A video deleted while it ran shows failed with error.code cancelled.'),
      progress: int('Derived from the status: 0 queued, 50 in_progress, 100 completed, 0 failed.'),
      model: str('The model that runs (or the one requested until a route is chosen).'),
      prompt: orNull(str()),
      seconds: orNull(str('Seconds made and billed.', { example: '8' })),
      size: orNull(str('Width x height made.', { example: '1280x720' })),
      created_at: int(UNIX),
      completed_at: orNull(int(UNIX)),
      expires_at: orNull(int('Unix seconds until which GET /v1/videos/{id}/content serves the file.')),
      error: orNull(ref('OpenAIVideoError')),
      remixed_from_video_id: orNull(str('Always null: remixing is not supported.')),
    },
    'OpenAI’s video object.',
  ),
  OpenAIVideoError: obj({ code: str('`cancelled` for a video deleted while it ran; otherwise why it failed.'), message: str() }),
  OpenAIVideoList: obj({ object: enumOf(['list']), data: arr(ref('OpenAIVideo')), first_id: orNull(str()), last_id: orNull(str('Pass as `after` for the next page.')), has_more: bool() }, 'OpenAI’s cursor list.'),
  OpenAIVideoDeleted: obj({ id: str(), object: enumOf(['video.deleted']), deleted: bool() }),

  // ---- Human accounts and organizations for people (docs/dashboard-api.md)
  SignInMethods: obj({
    object: enumOf(['sign_in_methods']),
    email: bool('Whether sign-in links can be mailed (SMTP configured).'),
    oidc: { anyOf: [obj({ name: str('The issuer to show on the button.'), start_url: str('Where the button goes (GET).') }), { type: 'null' }] },
  }),
  EmailSignInStarted: obj({ object: enumOf(['email_sign_in']), status: enumOf(['sent']), message: str('The same words whether or not the address has an account.') }),
  Redirect: obj({ object: enumOf(['redirect']), location: str('Where the Location header sends the browser.') }),
  SessionUser: obj({ id: str(undefined, { example: 'usr_8f2kLm' }), email: str() }),
  SignedIn: obj({ object: enumOf(['signed_in']), user: ref('SessionUser'), return_to: str('Same-origin path to go to next.') }),
  AuthSession: obj({
    object: enumOf(['session']),
    user: ref('SessionUser'),
    orgs: arr(obj({ id: str(), name: str('Data, never markup: render it as text.'), role: enumOf(['owner', 'admin', 'member']) }), 'The organizations the person belongs to.'),
    csrf_token: str('Send it as X-CSRF-Token on every state-changing call made with the session cookie.'),
    method: enumOf(['email', 'oidc'], 'How this session was signed in.'),
  }),
  SignedOut: obj({ object: enumOf(['signed_out']), sessions_ended: int('Sessions ended by this call.') }),
  MyOrganization: obj({ id: str(undefined, { example: 'org_8f2kLm' }), object: enumOf(['organization']), name: str(), role: enumOf(['owner', 'admin', 'member'], 'Your role in it.'), created_at: int(UNIX) }),
  MyOrganizationList: list(ref('MyOrganization'), 'Your organizations (one page).'),
  OrgMember: obj({ object: enumOf(['org_member']), user_id: str(), email: str(), role: enumOf(['owner', 'admin', 'member']), joined_at: int(UNIX) }),
  OrgMemberList: list(ref('OrgMember'), 'The members of the organization (one page).'),
  OrgInvite: obj({
    id: str(undefined, { example: 'inv_8f2kLm' }),
    object: enumOf(['org_invite']),
    org_id: str(),
    email: str(),
    role: enumOf(['owner', 'admin', 'member']),
    status: enumOf(['pending', 'accepted', 'expired']),
    created_at: int(UNIX),
    expires_at: int(UNIX),
    accepted_at: orNull(int(UNIX)),
  }),
  OrgInviteList: list(ref('OrgInvite'), 'Invitations of the organization, newest first (at most 200).'),
  OrgInvitePreview: obj({ object: enumOf(['org_invite_preview']), org_id: str(), org_name: str(), email: str(), role: enumOf(['owner', 'admin', 'member']), expires_at: int(UNIX) }),
  // ---- Operator API only (/admin/openapi.json)
  AuditEntry: obj({
    id: str(),
    object: enumOf(['audit_entry']),
    at: int(UNIX),
    action: str(undefined, { example: 'org.suspend' }),
    org_id: orNull(str()),
    target: orNull(str()),
    details: { type: 'object', description: 'What the action changed (never a secret).', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
    ip: orNull(str()),
    correlation_id: orNull(str()),
  }),
  AuditLog: list(ref('AuditEntry'), 'Operator actions, newest first.'),
  DeadLetter: obj({
    id: str('Position in the dead-letter queue.'),
    object: enumOf(['dead_letter']),
    consumer: str('The durable consumer that gave up on the event.'),
    subject: str(),
    event_id: orNull(str()),
    error: str('The last handler error.'),
    deliveries: int(),
    dead_lettered_at: int(UNIX),
    event: { description: 'The event as published (parsed JSON, else the raw text).' },
  }),
  OperatorApiKeyList: list(ref('ApiKey'), 'An organization’s keys (never their secrets).'),
  DeadLetterList: obj({ object: enumOf(['list']), data: arr(ref('DeadLetter')), has_more: bool(), total: int('Letters waiting in the queue.') }, 'Dead letters, oldest first.'),
};

/** `content` of a JSON answer whose body is the named schema. */
export const jsonBody = (name: string) => ({ schema: ref(name) });
