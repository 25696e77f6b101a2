// BridgeNotes.sc: the Bridge class's note helpers (note lists, Pbind, playing a note) and the
// helpers of the example scripts. Part of the Bridge quark; see Bridge.sc.

+ Bridge {
	// --- notes ---------------------------------------------------------------------------

	// [[pitch, start, duration, velocity], ...] from quadruples or a flat list.
	*quads { |notes|
		notes = (notes ? []).asArray;
		if(notes.isEmpty) { ^[] };
		if(notes.first.isSequenceableCollection.not) {
			if(notes.size % 4 != 0) {
				BridgeError("a note list needs 4 numbers per note (pitch start duration"
					+ "velocity), got %".format(notes.size)).throw
			};
			notes = notes.clump(4)
		};
		if(notes.any { |q| q.size != 4 }) {
			BridgeError("each note needs 4 numbers: pitch start duration velocity").throw
		};
		^notes.collect { |q|
			[q[0].asInteger, q[1].asFloat, q[2].asFloat, q[3].asInteger]
		}
	}

	// The flat wire form: pitch and velocity int32, start and duration float32.
	*wire { |quads|
		^quads.collect { |q| [q[0].asInteger, q[1].asFloat, q[2].asFloat, q[3].asInteger] }.flatten
	}

	// Beats from 0 to the end of the last note.
	*totalBeats { |notes|
		^Bridge.quads(notes).inject(0) { |end, q| max(end, q[1] + q[2]) }
	}

	// A Pbind that plays the notes at their starts (in beats: play it on a TempoClock),
	// sustaining each for its duration; velocity 127 is amp.
	*pbind { |notes, amp = 0.5, instrument = \default|
		var quads = Bridge.quads(notes).sort { |x, y| x[1] < y[1] };
		^Bridge.prTimed(quads.collect(_[1]), Bridge.totalBeats(quads), instrument,
			quads.collect(_[0]), quads.collect(_[2]), quads.collect { |q| q[3] / 127 * amp })
	}

	// The notes grouped by onset, in time order: [[start, pitches, durations, velocities], ...]
	// (notes starting within 1/1000 beat of each other make one chord, lowest pitch first).
	*chords { |notes|
		var groups = List.new;
		Bridge.quads(notes).sort { |x, y| x[1] < y[1] or: { x[1] == y[1] and: { x[0] < y[0] } } }
		.do { |q|
			var last = groups.last;
			if(last.notNil and: { (q[1] - last[0]).abs < 0.001 }) {
				3.do { |i| last[i + 1] = last[i + 1].add(q[[0, 2, 3][i]]) }
			} {
				groups.add([q[1], [q[0]], [q[2]], [q[3]]])
			}
		};
		^groups.asArray
	}

	// A Pbind of chords (Bridge.chords): one event per onset, \midinote the chord's pitches,
	// each held for its own duration (\sustain an Array) at its own velocity (127 is amp).
	*chordPbind { |notes, amp = 0.5, instrument = \default|
		var chords = Bridge.chords(notes);
		^Bridge.prTimed(chords.collect(_[0]), Bridge.totalBeats(notes), instrument,
			chords.collect(_[1]), chords.collect(_[2]), chords.collect { |c| c[3] / 127 * amp })
	}

	// A Pbind of events at `starts` (sorted, in beats) that lasts until `end`: a rest first
	// when the first starts after 0.
	*prTimed { |starts, end, instrument, midinotes, sustains, amps|
		var deltas, lead = starts.first ? 0, rest = { |x| if(lead > 0) { [x] } { [] } };
		if(starts.isEmpty) { ^Pbind(\dur, Pseq([Rest(0)], 1)) };
		deltas = starts.drop(1) - starts.drop(-1) ++ [end - starts.last];
		^Pbind(
			\instrument, instrument,
			\midinote, Pseq(rest.(60) ++ midinotes, 1),
			\dur, Pseq(rest.(Rest(lead)) ++ deltas, 1),
			\sustain, Pseq(rest.(1) ++ sustains, 1),
			\amp, Pseq(rest.(0) ++ amps, 1)
		)
	}

	// Play one note on the default synth, `latency` s from now (a stream's lookahead: the
	// server starts it exactly then), for `ms`; a no-op while the server is not running.
	*playNote { |pitch, velocity, ms, instrument = \default, latency = 0|
		var synth, server = Server.default;
		if(server.serverRunning.not) { ^nil };
		server.makeBundle(if(latency > 0) { latency } { nil }, {
			synth = Synth(instrument, [\freq, pitch.midicps, \amp, velocity / 127 * 0.3], server)
		});
		server.makeBundle(latency + (ms / 1000), { synth.set(\gate, 0) });
		^synth
	}

	// --- scripts ------------------------------------------------------------------------
	// For examples run as `sclang script.scd [port] [noaudio]`: the port given, or the
	// default; whether to play; whether to exit at the end (run from the command line).

	*argPort { ^(thisProcess.argv.detect { |a| a.asInteger > 0 } ? defaultPort).asInteger }

	*argAudio { ^thisProcess.argv.includesEqual("noaudio").not }

	*argBatch { ^thisProcess.argv.size > 0 }

	// Boot the default server, waiting (in a Routine) at most `seconds`; answers whether it
	// runs. Headless machines without an audio device answer false.
	*bootServer { |seconds = 10|
		var server, t0 = Main.elapsedTime, port = "BRIDGE_SCSYNTH_PORT".getenv;
		// tests run scsynth on a port of their own, apart from any other server
		if(port.notNil and: { Server.default.addr.port != port.asInteger }) {
			Server.default = Server(\bridge, NetAddr("127.0.0.1", port.asInteger));
		};
		server = Server.default;
		if(server.serverRunning.not) { server.boot };
		while { server.serverRunning.not and: { Main.elapsedTime - t0 < seconds } } { 0.2.wait };
		if(server.serverRunning) { server.sync };
		^server.serverRunning
	}
}
