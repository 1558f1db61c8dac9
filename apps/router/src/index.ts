export * from './service';
export * from './router.config';
export * from './router.composition';
export * from './catalog';
export * from './routing';
