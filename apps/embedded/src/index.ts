export * from './platform';
export * from './embedded-postgres';
export * from './local-account';
