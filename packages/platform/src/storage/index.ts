export * from './object-storage';
export * from './link-signer';
export * from './disk-storage';
export * from './s3-storage';
export * from './storage-config';
export * from './media-check';
export * from './output-links';
