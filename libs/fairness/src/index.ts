export {
  FairnessRejection,
  FairQueue,
  type FairnessPolicy,
  type Priority,
  type PumpResult,
  type TeamLimits,
  type Ticket,
} from './fair-queue';
