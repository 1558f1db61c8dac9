export * from './catalog';
export * from './public-view';
