export type {
  FalSandboxOptions,
  FaultName,
  FaultRule,
  FramerateSandboxOptions,
  ReplicateSandboxOptions,
  RunningFalSandbox,
  RunningFramerateSandbox,
  RunningReplicateSandbox,
  RunningSandbox,
  RunningVercelGatewaySandbox,
  SandboxName,
  SandboxOptions,
  SandboxRequestLog,
  SandboxSet,
  StartAllOptions,
} from './types';
export { FAULT_NAMES } from './types';
export { startFalSandbox, falSignedMessage } from './fal';
export { startReplicateSandbox, parseCancelAfter, standardWebhookSignature, REPLICATE_MODERATION_ERROR, REPLICATE_FAILURE_ERROR } from './replicate';
export { startVercelGatewaySandbox, GATEWAY_MODERATION_ERROR, GATEWAY_FAILURE_ERROR } from './vercel-gateway';
export { startFramerateSandbox, framerateUsageFor, framerateInputChars } from './framerate';
export type { FramerateJob, FramerateEngine, FramerateStatus, FramerateUsage } from './framerate';
export { startAllSandboxes } from './all';
export { SAMPLE_MP4, lottieAnimation } from './common/media';
export { parseMarkers } from './common/faults';
export { StripeStandIn, stripeSignatureHeader } from './stripe';
export type { HostedCheckoutOptions } from './stripe';
export type { RecordedRequest as StripeRecordedRequest } from './stripe';
export { startMailSandbox } from './mail';
export type { RunningMailSandbox, MailSandboxOptions, SandboxMail } from './mail';
export { startOidcSandbox } from './oidc';
export type { RunningOidcSandbox, OidcIssuerOptions } from './oidc';
