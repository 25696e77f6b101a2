// Bridge.sc: SuperCollider client of the bridge daemon (OSC protocol version 1).
//
// Install: link or copy this folder into Platform.userExtensionDir, then recompile the class
// library (Language > Recompile Class Library), e.g. on Linux
//   ln -s "$PWD/supercollider/classes" ~/.local/share/SuperCollider/Extensions/bridge
//
// Every request method waits for its reply, so call it inside a Routine (fork { ... }) and
// use the answer directly, or pass action: to get the answer in a function instead:
//
//   b = Bridge(57120);
//   fork { var notes = b.continue([[60, 0, 0.5, 100], [62, 0.5, 0.5, 100]]); Bridge.pbind(notes).play };
//   b.continue(primer, action: { |notes| Bridge.pbind(notes).play });
//
// Notes are [pitch, start, duration, velocity] with start and duration in beats, as on the
// wire (a flat list of quadruples is accepted too). A failed request throws a BridgeError
// whose message is the daemon's, or says that the daemon did not answer.

BridgeError : Error {
	errorString { ^"bridge: " ++ what }
}

Bridge {
	classvar <>defaultPort = 57120;
	var <addr, <>timeout, idBase, idCount = 0;

	*new { |port, host = "127.0.0.1", timeout = 10|
		^super.new.init(host, port ? defaultPort, timeout)
	}

	init { |host, port, argTimeout|
		addr = NetAddr(host, port.asInteger);
		timeout = argTimeout;
		// Request ids: a random base plus a counter, so clients sharing a reply port (and
		// stale replies of an earlier run) never match.
		idBase = 20000.rand * 100000;
	}

	nextId {
		idCount = idCount + 1 % 100000;
		^idBase + idCount
	}

	// --- the protocol's verbs -------------------------------------------------------------

	// The daemon's version string; throws when it does not answer.
	ping { |action|
		^this.prRun(action) { this.prRequest('/bridge/ping', [], '/bridge/pong')[0][3].asString }
	}

	// The names of the engines loaded and ready, as Symbols.
	engines { |action|
		^this.prRun(action) {
			this.prRequest('/bridge/engines', [], '/bridge/reply/engines')[0].drop(2)
		}
	}

	// The RNN's continuation of notes (nil or [] starts from nothing). Its starts are counted
	// from the end of the primer's last bar.
	continue { |notes, steps = 32, temperature = 1.0, seed, action|
		^this.prRun(action) {
			var args = ["temperature", temperature.asFloat, "steps", steps.asInteger];
			if(seed.notNil) { args = args ++ ["seed", seed.asInteger] };
			notes = Bridge.quads(notes);
			if(notes.size > 0) { args = args ++ ["notes"] ++ Bridge.wire(notes) };
			Bridge.quads(this.prRequest('/bridge/rnn/continue', args,
				'/bridge/reply/rnn/continue')[0].drop(2))
		}
	}

	// `steps` melodies from a to b, both included (the VAE works on two-bar melodies).
	interpolate { |a, b, steps = 5, temperature, seed, action|
		^this.prRun(action) {
			var args = ["steps", steps.asInteger];
			if(temperature.notNil) { args = args ++ ["temperature", temperature.asFloat] };
			if(seed.notNil) { args = args ++ ["seed", seed.asInteger] };
			args = args ++ ["a"] ++ Bridge.wire(Bridge.quads(a));
			args = args ++ ["b"] ++ Bridge.wire(Bridge.quads(b));
			this.prRequest('/bridge/vae/interpolate', args, '/bridge/reply/vae/interpolate', true)
				.sort { |x, y| x[2] < y[2] }
				.collect { |msg| Bridge.quads(msg.drop(4)) }
		}
	}

	// n new two-bar melodies from the VAE.
	sample { |n = 1, temperature, seed, action|
		^this.prRun(action) {
			var args = ["n", n.asInteger];
			if(temperature.notNil) { args = args ++ ["temperature", temperature.asFloat] };
			if(seed.notNil) { args = args ++ ["seed", seed.asInteger] };
			this.prRequest('/bridge/vae/sample', args, '/bridge/reply/vae/sample', true)
				.sort { |x, y| x[2] < y[2] }
				.collect { |msg| Bridge.quads(msg.drop(4)) }
		}
	}

	// One 4-beat bar per chord from the GAN: chords is "C Am F G" or ["C", "Am", ...];
	// prev is the bar before the first (notes starting at 0..4).
	bars { |chords, prev, seed, action|
		^this.prRun(action) {
			var args;
			if(chords.isString) { chords = chords.split($ ).reject(_.isEmpty) };
			args = ["chords"] ++ chords.collect(_.asString);
			if(seed.notNil) { args = args ++ ["seed", seed.asInteger] };
			if(prev.notNil) { args = args ++ ["prev"] ++ Bridge.wire(Bridge.quads(prev)) };
			Bridge.quads(this.prRequest('/bridge/gan/bars', args, '/bridge/reply/gan/bars')[0]
				.drop(2))
		}
	}

	// Start a real-time stream (answers a BridgeStream once it runs). The daemon sends each
	// note at its time; onNote gets (pitch, velocity, beats, ms) and by default plays it on
	// the default synth when the server runs. steps 0 plays until stopped.
	stream { |notes, tempo = 120, temperature = 1.0, seed, steps = 0, onNote, action|
		^this.prRun(action) {
			BridgeStream(this).prStart(notes, tempo, temperature, seed, steps, onNote)
		}
	}

	// --- plumbing ------------------------------------------------------------------------

	// Run body now when inside a Routine (it may wait); otherwise fork it and give its answer
	// to action. With neither a Routine nor an action, fireAndForget forks and posts errors.
	prRun { |action, body, fireAndForget = false|
		var result;
		if(thisThread.isKindOf(Routine)) {
			result = body.value;
			action.value(result);
			^result
		};
		if(action.isNil and: { fireAndForget.not }) {
			BridgeError("call this inside a Routine (fork { ... }) or pass an action").throw
		};
		fork {
			try { result = body.value; action.value(result) } { |error| error.reportError }
		};
		^nil
	}

	// Send path <id> args..., wait for the reply to that id on replyPath (with many, for
	// all <count> replies of a multi-reply verb) or /bridge/error; answers the messages.
	prRequest { |path, args, replyPath, many = false|
		var id = this.nextId, cond = Condition(false), replies = List.new;
		var error, expected = 1, done = false, finish, responders;
		finish = { done = true; cond.test = true; cond.signal };
		responders = [
			OSCFunc({ |msg|
				if(done.not and: { msg[1] == id }) {
					replies.add(msg);
					if(many) { expected = msg[3] };
					if(replies.size >= expected) { finish.value };
				}
			}, replyPath),
			OSCFunc({ |msg|
				if(done.not and: { msg[1] == id }) { error = msg[3].asString; finish.value }
			}, '/bridge/error')
		];
		SystemClock.sched(timeout, { if(done.not) { finish.value }; nil });
		addr.sendMsg(path, id, *args);
		cond.wait;
		responders.do(_.free);
		if(error.notNil) { BridgeError(error).throw };
		if(replies.size < expected) {
			BridgeError("no answer to % from %:% within % s; is `bridge serve --port %` running?"
				.format(path, addr.ip, addr.port, timeout, addr.port)).throw
		};
		^replies.asArray
	}

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

	// Play one note now on the default synth (a no-op while the server is not running).
	*playNote { |pitch, velocity, ms, instrument = \default|
		var synth, server = Server.default;
		if(server.serverRunning.not) { ^nil };
		synth = Synth(instrument, [\freq, pitch.midicps, \amp, velocity / 127 * 0.3], server);
		SystemClock.sched(ms / 1000, { synth.set(\gate, 0); nil });
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

// A running stream: set its tempo or temperature, feed it the performer's notes, stop it.
// played lists what came in as [pitch, start-beats, duration-beats, velocity] (starts from
// the time the stream started, at its tempo), ready for Bridge.pbind.
BridgeStream {
	var <bridge, <id, <played, <>onNote, <tempo, startTime, noteFunc;

	*new { |bridge| ^super.newCopyArgs(bridge).init }

	init { played = List.new }

	prStart { |notes, argTempo, temperature, seed, steps, argOnNote|
		var args;
		tempo = argTempo.asFloat;
		args = ["tempo", tempo, "temperature", temperature.asFloat, "steps", steps.asInteger];
		if(seed.notNil) { args = args ++ ["seed", seed.asInteger] };
		notes = Bridge.quads(notes);
		if(notes.size > 0) { args = args ++ ["notes"] ++ Bridge.wire(notes) };
		onNote = argOnNote ? { |pitch, velocity, beats, ms| Bridge.playNote(pitch, velocity, ms) };
		noteFunc = OSCFunc({ |msg| this.prNote(msg) }, '/bridge/note');
		startTime = Main.elapsedTime;
		id = bridge.prRequest('/bridge/rnn/stream/start', args,
			'/bridge/reply/rnn/stream/start')[0][2];
	}

	prNote { |msg|
		if(id.notNil and: { msg[1] == id }) {
			played.add([msg[2], (Main.elapsedTime - startTime) * tempo / 60, msg[4], msg[3]]);
			onNote.value(msg[2], msg[3], msg[4], msg[5]);
		}
	}

	// Change tempo and/or temperature from the next step.
	set { |tempo, temperature, action|
		^bridge.prRun(action, {
			var args = ["stream", id];
			if(tempo.notNil) { args = args ++ ["tempo", tempo.asFloat] };
			if(temperature.notNil) { args = args ++ ["temperature", temperature.asFloat] };
			bridge.prRequest('/bridge/rnn/stream/set', args, '/bridge/reply/rnn/stream/set');
			if(tempo.notNil) { this.prTempo(tempo.asFloat) };
			this
		}, true)
	}

	// Add the performer's notes to the stream's context (they are not played).
	feed { |notes, action|
		^bridge.prRun(action, {
			var args = ["stream", id, "notes"] ++ Bridge.wire(Bridge.quads(notes));
			bridge.prRequest('/bridge/rnn/stream/feed', args, '/bridge/reply/rnn/stream/feed');
			this
		}, true)
	}

	// Stop the stream: the daemon ends every note it is sounding.
	stop { |action|
		^bridge.prRun(action, {
			bridge.prRequest('/bridge/rnn/stream/stop', ["stream", id],
				'/bridge/reply/rnn/stream/stop');
			noteFunc.free;
			this
		}, true)
	}

	prTempo { |newTempo|
		// keep `played` starts in beats across a tempo change
		var now = Main.elapsedTime;
		startTime = now - ((now - startTime) * tempo / newTempo);
		tempo = newTempo;
	}
}
