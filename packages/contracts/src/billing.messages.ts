// Messages of the billing service's NATS API (request/reply payloads and replies).
export {};
