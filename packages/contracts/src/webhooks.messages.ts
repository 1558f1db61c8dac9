// Messages of the webhooks service's NATS API (request/reply payloads and replies).
export {};
