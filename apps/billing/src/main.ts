import 'reflect-metadata';
import { runServiceMain } from '@pipevideo/platform';
import { startBillingService } from './start-billing-service';

/** Microservices mode: one billing process on NATS. */
runServiceMain('billing', 3002, (base) => startBillingService(base));
