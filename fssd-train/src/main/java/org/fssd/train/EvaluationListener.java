package org.fssd.train;

/**
 * Evaluates on a held-out set when {@link EvalDuringTraining#dueAt} says so and once more at the
 * planned end of the run (unless the last update was just evaluated), so that a finished run always
 * ends with the evaluation of its final parameters.
 */
final class EvaluationListener implements TrainingListener {
  private final EvalDuringTraining evaluation;
  private FssdTrainer trainer;

  EvaluationListener(EvalDuringTraining evaluation) {
    this.evaluation = evaluation;
  }

  @Override
  public void onTrainingStart(FssdTrainer trainer) {
    this.trainer = trainer;
  }

  @Override
  public void onIteration(TrainingProgress progress) {
    if (evaluation.dueAt(progress.iteration())) {
      trainer.evaluate(evaluation);
    }
  }

  @Override
  public void onTrainingEnd(FssdTrainer trainer) {
    TrainingState s = trainer.state();
    // a run stopped by maxIterations is not at its end: a resumed run evaluates there
    if (s.epoch() >= s.epochs()
        && s.iteration() > 0
        && trainer.lastEvaluationIteration() != s.iteration()) {
      trainer.evaluate(evaluation);
    }
  }
}
