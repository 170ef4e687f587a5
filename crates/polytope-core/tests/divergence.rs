//! A run whose loss becomes non-finite stops with an error naming the instance and the step.

use polytope_core::tms::{CpuTrainer, TrainError, TrainState, preset};

#[test]
fn non_finite_loss_names_instance_and_step() {
    let cfg = preset("intro").unwrap().config;
    let mut state = TrainState::initial(&cfg);
    let per = cfg.params_per_instance();
    state.params[3 * per] = f32::NAN; // instance 3's first weight
    let mut trainer = CpuTrainer::from_state(cfg, state).unwrap();
    let err = trainer.run_steps(5).unwrap_err();
    assert_eq!(
        err,
        TrainError::Diverged {
            instance: 3,
            step: 0
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("instance 3") && message.contains("step 0"),
        "{message}"
    );
}

#[test]
fn sliced_training_reports_divergence_too() {
    let cfg = preset("intro").unwrap().config;
    let mut state = TrainState::initial(&cfg);
    state.params[cfg.bias_offset()] = f32::INFINITY; // instance 0's first bias
    let mut trainer = CpuTrainer::from_state(cfg, state).unwrap();
    let err = trainer.run_slice(1_000_000, 3).unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::Diverged {
                instance: 0,
                step: 0
            }
        ),
        "{err:?}"
    );
}
