import { customResource } from '@lemur/shared-k8s';
import { LEMUR_GROUP, LEMUR_MODEL_KIND, LEMUR_MODEL_PLURAL, LEMUR_VERSION, type LemurModel } from '@lemur/model-serving';

/** The LemurModel custom resource in the REST API. */
export const LEMUR_MODELS = customResource<LemurModel>(LEMUR_GROUP, LEMUR_VERSION, LEMUR_MODEL_KIND, LEMUR_MODEL_PLURAL);
