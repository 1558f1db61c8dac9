export * from './route-window';
export * from './route-health';
export * from './metrics';
