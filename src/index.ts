export * from './models';
export * from './platform';
