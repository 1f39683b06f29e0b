// Sentences the app, the report and the CLI must say in exactly the same words.

/** What every score means and does not mean: in the report's summary and one click from every score in the app. */
export const SCORE_NOT_PROBABILITY =
  'A score is not a probability that an image is fake, and neither a score nor a heatmap proves anything on its own.';

/** Why, in one more sentence. */
export const SCORE_CAVEAT =
  'Detectors err in both directions, most of all on images unlike their training data: other generators, heavy compression, ' +
  'resizing, screenshots or photographs of screens. A low score does not show that an image is authentic.';

/** What a test-fixture model's score is. */
export const FIXTURE_SCORE = 'This score comes from a test fixture, not a detector: it means nothing and never flags an item.';
