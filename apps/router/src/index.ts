export * from './service';
export * from './router.config';
export * from './router.engine';
export * from './catalog';
export * from './routing';
