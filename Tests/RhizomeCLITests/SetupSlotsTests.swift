import RhizomeWire
import Synchronization
import Testing
@testable import RhizomeController

/// `--forks` per node: at most that many link set-ups at once under each parent.
@Suite("link set-up slots")
struct SetupSlotsTests {
    final class Gauge: Sendable {
        private let state = Mutex<(now: [UInt32: Int], peak: [UInt32: Int])>(([:], [:]))
        func enter(_ parent: NodeID) {
            state.withLock { state in
                state.now[parent.rawValue, default: 0] += 1
                state.peak[parent.rawValue] = max(state.peak[parent.rawValue] ?? 0, state.now[parent.rawValue]!)
            }
        }
        func leave(_ parent: NodeID) { state.withLock { $0.now[parent.rawValue, default: 0] -= 1 } }
        var peak: [UInt32: Int] { state.withLock { $0.peak } }
    }

    @Test("each parent gets its own limit, and every waiter gets its turn")
    func limitPerParent() async {
        let slots = SetupSlots(limit: 2)
        let gauge = Gauge()
        await withTaskGroup(of: Void.self) { group in
            for index in 0 ..< 12 {
                let parent = NodeID(UInt32(index % 2))
                group.addTask {
                    await slots.with(under: parent) {
                        gauge.enter(parent)
                        try? await Task.sleep(nanoseconds: 20_000_000)
                        gauge.leave(parent)
                    }
                }
            }
        }
        #expect(gauge.peak == [0: 2, 1: 2])
    }
}
