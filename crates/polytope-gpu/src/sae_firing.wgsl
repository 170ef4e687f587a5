// SAE kernel 7, once per step, after the update: firing bookkeeping, one thread per latent
// (last_fired, the window's firing counts, the densities at the end of a window, the dead count
// of this step's statistics and of the next step's AuxK), and one extra 256-thread workgroup that
// sums the per-row statistics into the step's history row.
// CPU twin: polytope_core::sae::record_firing and SaeTrainer's dead mask.

@group(0) @binding(0) var<uniform> u: SaeUniform;
// [2, s]: firing counts, then activation sums
@group(0) @binding(1) var<storage, read> col: array<f32>;
// [batch, ROW_STATS]
@group(0) @binding(2) var<storage, read> row_stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> last_fired: array<u32>;
@group(0) @binding(4) var<storage, read_write> window_fired: array<u32>;
// [s]: the firing counts of the last complete window
@group(0) @binding(5) var<storage, read_write> density_counts: array<u32>;
@group(0) @binding(6) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> history: array<atomic<u32>>;

var<workgroup> dead_here: atomic<u32>;
var<workgroup> dead_next: atomic<u32>;
@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_id) lid3: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let g = group_index(wid, groups);
    let lid = lid3.x;
    let s = u.s;
    let latent_groups = (s + ROW_WORKGROUP - 1u) / ROW_WORKGROUP;
    let h = u.history_row * HISTORY_WORDS;
    if (g < latent_groups) {
        if (lid == 0u) {
            atomicStore(&dead_here, 0u);
            atomicStore(&dead_next, 0u);
        }
        workgroupBarrier();
        let i = g * ROW_WORKGROUP + lid;
        if (i < s) {
            let c = u32(col[i]);
            let step = u.step;
            var last = last_fired[i];
            if (c > 0u) {
                last = step + 1u;
                last_fired[i] = last;
            }
            var wf = window_fired[i] + c;
            if ((step + 1u) % max(u.dead_window, 1u) == 0u) {
                density_counts[i] = wf;
                wf = 0u;
            }
            window_fired[i] = wf;
            // The CPU's dead mask: step.saturating_sub(last) >= window.
            if (step >= last && step - last >= u.dead_window) {
                atomicAdd(&dead_here, 1u);
            }
            let next = step + 1u;
            if (next >= last && next - last >= u.dead_window) {
                atomicAdd(&dead_next, 1u);
            }
        }
        workgroupBarrier();
        if (lid == 0u) {
            atomicAdd(&history[h + H_DEAD], atomicLoad(&dead_here));
            atomicAdd(&flags[0], atomicLoad(&dead_next));
        }
    } else if (g == latent_groups) {
        for (var j = 0u; j < ROW_STATS; j++) {
            var acc = 0.0;
            for (var r = lid; r < u.batch; r += ROW_WORKGROUP) {
                acc += row_stats[r * ROW_STATS + j];
            }
            let total = reduce(lid, acc);
            if (lid == 0u) {
                atomicStore(&history[h + j], bitcast<u32>(total));
            }
        }
    }
}
