// A sum over a 256-thread workgroup (ROW_WORKGROUP), shared by sae_update and sae_firing.
// Every thread calls it with its value and gets the total; the trailing barrier lets the
// caller reuse `red` at once.

var<workgroup> red: array<f32, 256>;

fn reduce(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var st = 128u; st > 0u; st >>= 1u) {
        if (lid < st) {
            red[lid] += red[lid + st];
        }
        workgroupBarrier();
    }
    let total = red[0];
    workgroupBarrier();
    return total;
}
