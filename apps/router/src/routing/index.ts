export * from './pricing';
export * from './route-selector';
export * from './engine-selector';
export * from './provider-prefs';
