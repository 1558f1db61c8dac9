import 'reflect-metadata';
export * from './subjects';
export * from './errors';
export * from './enums';
export * from './messages';
export * from './validate';
export * from './billing.messages';
export * from './providers.messages';
export * from './webhooks.messages';
