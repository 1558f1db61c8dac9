/**
 * The typed map of the seam between services: every NATS subject bound to its request and reply (RPC)
 * or to its event. The platform's `RpcClient.request`, `@Handles` and the event outbox/subscription are
 * typed by these maps, and each message is decoded (validated) exactly once, at the receiving boundary,
 * with the decoder bound here. Nothing on either side chooses a reply type or casts a payload: go to the
 * definition of a subject in `RPC`/`EVENTS` and this file names what travels on it.
 *
 *   caller ──RpcClient.request(RPC.x.y, RpcSend<S>)──▶ NATS ──decode(RpcRequest<S>)──▶ @Handles(RPC.x.y) handler
 *          ◀──────────────── RpcReply<S> ─────────────────────────────────────────────── returns RpcReply<S>
 *   producer ──addToOutbox(tx, EVENTS.x, EventOf<S>)──▶ JetStream ──decodeEvent──▶ subscribeEvents handler(EventOf<S>)
 */
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { BalanceView } from './messages';
import {
  CancelJobMsg, CreateGenerationMsg, CreateResponseMsg, Envelope, GenerationFinishedEvt, GetByIdMsg, GetOutputMsg, type OutputLocation, readGetByIdMsg, HoldReleaseRequestedEvt, OrgMsg,
  PlaceHoldMsg, ReleaseHoldMsg, ProviderJobFinishedEvt, ProviderJobProgressedEvt, ProviderJobUsageEvt, SubmitJobMsg, SubmitJobResult, TopupMsg, UsageListMsg,
} from './messages';
import {
  CheckoutCreateMsg, CheckoutSessionReply, KeySpendMsg, KeySpendReply, LedgerCheckMsg, LedgerCheckReply, PlaceHoldReply, PlaceHoldsMsg, PlaceHoldsReply, ReleaseHoldReply, StripeEventMsg,
  StripeEventReply, TokenChargeReply, TokenChargeWithHoldMsg, TopupListMsg, TopupListReply, TopupReply, UsageListReply,
} from './billing.messages';
import {
  ProviderKeyDeleteMsg, ProviderKeyPutMsg, type CancelJobResult, type ProviderKeyDeleteReply, type ProviderKeyListReply, type ProviderKeysActiveReply, type ProviderKeyView,
} from './providers.messages';
import { GenerationListMsg, ModelGetMsg, RankingsMsg, RankingsSettingsMsg, VideoListMsg } from './router.messages';
import type {
  CancelledResponseView, CursorPage, GenerationCreatedView, OpenAIVideoDeleted, OpenAIVideoPage, OpenAIVideoView, PublicEngine, PublicModel, RankingsPage,
  RankingsSettings, ResponseView, VideoGenerationView, WholeList,
} from './router.views';
import {
  WebhookDeliveryListMsg, WebhookDeliveryRetryMsg, WebhookDeliveryView, WebhookEndpointCreateMsg, WebhookEndpointDeleted, WebhookEndpointListMsg,
  WebhookEndpointRefMsg, WebhookEndpointUpdateMsg, WebhookEndpointView, WebhookEndpointWithSecret, WebhookListPage,
} from './webhooks.messages';
import { DomainError, ErrorCode } from './errors';
import { decodeCreateGenerationMsg, decodePlaceHoldMsg, decodePlaceHoldsMsg, decodeSubmitJobMsg } from './hot-decoders';
import { EVENTS, RPC } from './subjects';
import { describeValidationErrors } from './validate';

/** Turns an untrusted payload into its message type, or throws BAD_REQUEST naming what is wrong. */
export type Decoder<T> = (payload: unknown) => T;

/** A class-validator message class (a class whose fields carry validation decorators). */
type MessageClass<T> = new () => T;

/** Decodes with the class's decorators: unknown to the class stays (forward compatible), wrong types are refused. */
export function classDecoder<T extends object>(cls: MessageClass<T>): Decoder<T> {
  return (payload) => {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new DomainError(ErrorCode.BAD_REQUEST, `${cls.name}: the message must be an object`);
    const instance = plainToInstance(cls, payload);
    const errors = validateSync(instance as object, { whitelist: false });
    if (errors.length) throw new DomainError(ErrorCode.BAD_REQUEST, `${cls.name}: ${describeValidationErrors(errors).join('; ')}`);
    return instance;
  };
}

/** One RPC subject's binding: the decoder of its request; the reply type rides along as a phantom. */
export interface RpcBinding<Req, Rep> {
  readonly decode: Decoder<Req>;
  /** Type-only: what the handler answers. Never set at run time. */
  readonly reply?: Rep;
}

/** A subject decoded by its class's decorators; the hot subjects (polls, the create path) pass a cheaper decoder with the same rules. */
function rpc<Req extends object, Rep>(cls: MessageClass<Req>, decode: Decoder<Req> = classDecoder(cls)): RpcBinding<Req, Rep> {
  return { decode };
}

/** Every request/reply subject with its request message and reply. */
export const RPC_SEAM = {
  [RPC.billing.balanceGet]: rpc<OrgMsg, BalanceView>(OrgMsg),
  [RPC.billing.topupCreate]: rpc<TopupMsg, TopupReply>(TopupMsg),
  [RPC.billing.holdPlace]: rpc<PlaceHoldMsg, PlaceHoldReply>(PlaceHoldMsg, decodePlaceHoldMsg),
  [RPC.billing.holdPlaceMany]: rpc<PlaceHoldsMsg, PlaceHoldsReply>(PlaceHoldsMsg, decodePlaceHoldsMsg),
  [RPC.billing.holdRelease]: rpc<ReleaseHoldMsg, ReleaseHoldReply>(ReleaseHoldMsg),
  [RPC.billing.tokenCharge]: rpc<TokenChargeWithHoldMsg, TokenChargeReply>(TokenChargeWithHoldMsg),
  [RPC.billing.usageList]: rpc<UsageListMsg, UsageListReply>(UsageListMsg),
  [RPC.billing.checkoutCreate]: rpc<CheckoutCreateMsg, CheckoutSessionReply>(CheckoutCreateMsg),
  [RPC.billing.stripeEvent]: rpc<StripeEventMsg, StripeEventReply>(StripeEventMsg),
  [RPC.billing.ledgerCheck]: rpc<LedgerCheckMsg, LedgerCheckReply>(LedgerCheckMsg),
  [RPC.billing.keySpend]: rpc<KeySpendMsg, KeySpendReply>(KeySpendMsg),
  [RPC.billing.topupList]: rpc<TopupListMsg, TopupListReply>(TopupListMsg),

  [RPC.router.generationCreate]: rpc<CreateGenerationMsg, GenerationCreatedView>(CreateGenerationMsg, decodeCreateGenerationMsg),
  [RPC.router.generationGet]: rpc<GetByIdMsg, VideoGenerationView>(GetByIdMsg, readGetByIdMsg),
  [RPC.router.generationList]: rpc<GenerationListMsg, CursorPage<VideoGenerationView>>(GenerationListMsg),
  [RPC.router.modelsList]: rpc<Envelope, WholeList<PublicModel>>(Envelope),
  [RPC.router.modelGet]: rpc<ModelGetMsg, PublicModel>(ModelGetMsg),
  [RPC.router.enginesList]: rpc<Envelope, WholeList<PublicEngine>>(Envelope),
  [RPC.router.responseCreate]: rpc<CreateResponseMsg, ResponseView>(CreateResponseMsg),
  [RPC.router.responseGet]: rpc<GetByIdMsg, ResponseView>(GetByIdMsg, readGetByIdMsg),
  [RPC.router.responseCancel]: rpc<GetByIdMsg, CancelledResponseView>(GetByIdMsg),
  [RPC.router.videoCreate]: rpc<CreateGenerationMsg, OpenAIVideoView>(CreateGenerationMsg),
  [RPC.router.videoGet]: rpc<GetByIdMsg, OpenAIVideoView>(GetByIdMsg, readGetByIdMsg),
  [RPC.router.videoList]: rpc<VideoListMsg, OpenAIVideoPage>(VideoListMsg),
  [RPC.router.videoDelete]: rpc<GetByIdMsg, OpenAIVideoDeleted>(GetByIdMsg),
  [RPC.router.rankings]: rpc<RankingsMsg, RankingsPage>(RankingsMsg),
  [RPC.router.rankingsSettingsGet]: rpc<OrgMsg, RankingsSettings>(OrgMsg),
  [RPC.router.outputGet]: rpc<GetOutputMsg, OutputLocation>(GetOutputMsg),
  [RPC.router.rankingsSettingsUpdate]: rpc<RankingsSettingsMsg, RankingsSettings>(RankingsSettingsMsg),

  [RPC.providers.jobSubmit]: rpc<SubmitJobMsg, SubmitJobResult>(SubmitJobMsg, decodeSubmitJobMsg),
  [RPC.providers.jobCancel]: rpc<CancelJobMsg, CancelJobResult>(CancelJobMsg),
  [RPC.providers.keyPut]: rpc<ProviderKeyPutMsg, ProviderKeyView>(ProviderKeyPutMsg),
  [RPC.providers.keyList]: rpc<OrgMsg, ProviderKeyListReply>(OrgMsg),
  [RPC.providers.keyDelete]: rpc<ProviderKeyDeleteMsg, ProviderKeyDeleteReply>(ProviderKeyDeleteMsg),
  [RPC.providers.keyActive]: rpc<OrgMsg, ProviderKeysActiveReply>(OrgMsg),

  [RPC.webhooks.endpointCreate]: rpc<WebhookEndpointCreateMsg, WebhookEndpointWithSecret>(WebhookEndpointCreateMsg),
  [RPC.webhooks.endpointList]: rpc<WebhookEndpointListMsg, WebhookListPage<WebhookEndpointView>>(WebhookEndpointListMsg),
  [RPC.webhooks.endpointGet]: rpc<WebhookEndpointRefMsg, WebhookEndpointView>(WebhookEndpointRefMsg),
  [RPC.webhooks.endpointUpdate]: rpc<WebhookEndpointUpdateMsg, WebhookEndpointView>(WebhookEndpointUpdateMsg),
  [RPC.webhooks.endpointDelete]: rpc<WebhookEndpointRefMsg, WebhookEndpointDeleted>(WebhookEndpointRefMsg),
  [RPC.webhooks.endpointRotate]: rpc<WebhookEndpointRefMsg, WebhookEndpointWithSecret>(WebhookEndpointRefMsg),
  [RPC.webhooks.endpointTest]: rpc<WebhookEndpointRefMsg, WebhookDeliveryView>(WebhookEndpointRefMsg),
  [RPC.webhooks.deliveryList]: rpc<WebhookDeliveryListMsg, WebhookListPage<WebhookDeliveryView>>(WebhookDeliveryListMsg),
  [RPC.webhooks.deliveryRetry]: rpc<WebhookDeliveryRetryMsg, WebhookDeliveryView>(WebhookDeliveryRetryMsg),
} as const;

export type RpcSubject = keyof typeof RPC_SEAM;
/** The request as the handler receives it (decoded, envelope included). */
export type RpcRequest<S extends RpcSubject> = (typeof RPC_SEAM)[S] extends RpcBinding<infer Q, unknown> ? Q : never;
/** What the handler answers. */
export type RpcReply<S extends RpcSubject> = (typeof RPC_SEAM)[S] extends RpcBinding<unknown, infer R> ? R : never;
/** What a caller sends: the request without the envelope, which the client adds (`v`, correlation id). */
export type RpcSend<S extends RpcSubject> = Omit<RpcRequest<S>, keyof Envelope>;

/**
 * `generation.finished` written before `keepTokenCharge` and `createdAt` were named fields carried them
 * in an untyped `extra` bag: lift them, so a refund decided on an event still in the stream is decided
 * on the same field.
 */
const decodeGenerationFinished: Decoder<GenerationFinishedEvt> = (payload) => {
  const p = payload as Record<string, unknown> | null;
  const extra = p && typeof p === 'object' && p.extra && typeof p.extra === 'object' ? (p.extra as Record<string, unknown>) : undefined;
  const lifted = extra && p ? { ...p, keepTokenCharge: p.keepTokenCharge ?? extra.keepTokenCharge === true, createdAt: p.createdAt ?? extra.createdAt } : payload;
  return classDecoder(GenerationFinishedEvt)(lifted);
};

/** Every durable event subject with the decoder of its event. */
export const EVENT_SEAM = {
  [EVENTS.providerJobFinished]: classDecoder(ProviderJobFinishedEvt),
  [EVENTS.providerJobUsageReported]: classDecoder(ProviderJobUsageEvt),
  [EVENTS.providerJobProgressed]: classDecoder(ProviderJobProgressedEvt),
  [EVENTS.holdReleaseRequested]: classDecoder(HoldReleaseRequestedEvt),
  [EVENTS.generationFinished]: decodeGenerationFinished,
} as const;

export type EventSubjectName = keyof typeof EVENT_SEAM;
export type EventOf<S extends EventSubjectName> = ReturnType<(typeof EVENT_SEAM)[S]>;

/** Decodes one event of `subject`, or throws BAD_REQUEST naming what is wrong (the consumer dead-letters it). */
export function decodeEvent<S extends EventSubjectName>(subject: S, payload: unknown): EventOf<S> {
  return EVENT_SEAM[subject](payload) as EventOf<S>;
}

/** Every string leaf of a nested const object (`RPC.billing.holdPlace` → 'billing.hold.place'). */
type Leaves<T> = T extends string ? T : { [K in keyof T]: Leaves<T[K]> }[keyof T];

// Compile-time guards: a subject declared in `RPC` or `EVENTS` without a binding here
// does not build, so no subject can travel untyped.
const everyRpcSubjectBound: Record<Leaves<typeof RPC>, RpcBinding<object, unknown>> = RPC_SEAM;
const everyEventSubjectBound: Record<Leaves<typeof EVENTS>, Decoder<object>> = EVENT_SEAM;
void everyRpcSubjectBound;
void everyEventSubjectBound;
