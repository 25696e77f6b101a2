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
		var starts, deltas, lead;
		if(quads.isEmpty) { ^Pbind(\dur, Pseq([Rest(0)], 1)) };
		starts = quads.collect(_[1]);
		deltas = starts.drop(1) - starts.drop(-1) ++ [Bridge.totalBeats(quads) - starts.last];
		lead = starts.first;
		^Pbind(
			\instrument, instrument,
			\midinote, Pseq(if(lead > 0) { [60] } { [] } ++ quads.collect(_[0]), 1),
			\dur, Pseq(if(lead > 0) { [Rest(lead)] } { [] } ++ deltas, 1),
			\sustain, Pseq(if(lead > 0) { [1] } { [] } ++ quads.collect(_[2]), 1),
			\amp, Pseq(if(lead > 0) { [0] } { [] } ++ quads.collect { |q| q[3] / 127 * amp }, 1)
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
