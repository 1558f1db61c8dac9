// Messages of the providers service's NATS API (request/reply payloads and replies).
export {};
