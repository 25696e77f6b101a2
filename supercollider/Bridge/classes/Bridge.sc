// Bridge.sc: SuperCollider client of the bridge daemon (OSC protocol version 1).
//
// Install the quark (this folder), then recompile the class library:
//   Quarks.install("/path/to/bridge/supercollider/Bridge");
// Help: Bridge.help, or HelpSource/Classes/Bridge.schelp.
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
// whose message is the daemon's, or says that the daemon did not answer. Note helpers
// (quads, pbind, playNote...) are in BridgeNotes.sc, streams in BridgeStream.sc.

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

	prNextId {
		idCount = idCount + 1 % 100000;
		^idBase + idCount
	}

	// --- the daemon's own addresses --------------------------------------------------------

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

	// Have replies sent to `port` (default: sclang's own, NetAddr.langPort, where they come
	// anyway: registering it lifts the daemon's bound on an unregistered client's replies).
	// 0 forgets the registration. Answers the port.
	register { |port, action|
		^this.prRun(action) {
			port = (port ? NetAddr.langPort).asInteger;
			this.prRequest('/bridge/register', ["port", port], '/bridge/reply/register')[0][2]
		}
	}

	// What each loaded engine (or only `engine`) serves: a Dictionary engine -> Event with
	// checkpoint, corpus, trained, parameters, hash, verbNames (in order) and verbs, a
	// Dictionary verb -> Event with reply, doc and params, an Array of Events (name, kind,
	// required, low, high, lowOpen, default, defaultText, doc; nil for no bound or default).
	// Registers sclang's port first, so every engine's description comes whole.
	describe { |engine, action|
		^this.prRun(action) {
			var args = [], replies, result = Dictionary.new, opt = { |x| if(x == 'nil') { nil } { x } };
			this.register;
			if(engine.notNil) { args = ["engine", engine.asString] };
			replies = this.prExchange('/bridge/describe', args, Bridge.describePaths,
				{ |msg| msg[0] == '/bridge/reply/describe/done' });
			replies.do { |msg|
				switch(msg[0],
					'/bridge/reply/describe', {
						result[msg[3]] = (engine: msg[3], checkpoint: msg[5].asString,
							corpus: msg[7].asString, trained: msg[9].asString, parameters: msg[11],
							hash: msg[13].asString, verbNames: List.new, verbs: Dictionary.new)
					},
					'/bridge/reply/describe/verb', {
						result[msg[2]][\verbNames].add(msg[3]);
						result[msg[2]][\verbs][msg[3]] = (reply: msg[4], doc: msg[6].asString,
							params: Array.newClear(msg[5]))
					},
					'/bridge/reply/describe/param', {
						result[msg[2]][\verbs][msg[3]][\params][msg[4]] = (name: msg[5],
							kind: msg[6], required: msg[7] == 1, low: opt.(msg[8]),
							high: opt.(msg[9]), lowOpen: msg[10] == 1, default: opt.(msg[11]),
							defaultText: msg[12].asString, doc: msg[13].asString)
					}
				)
			};
			result.do { |e| e[\verbNames] = e[\verbNames].asArray };
			result
		}
	}

	// Load another checkpoint folder (on the daemon's computer) for an engine; the current one
	// answers until the new one is ready. Answers (engine:, checkpoint:, hash:).
	load { |engine, path, wait = 120, action|
		^this.prRun(action) {
			var msg = this.prExchange('/bridge/load',
				["engine", engine.asString, "path", path.asString.standardizePath],
				['/bridge/reply/load'], true, max(wait, timeout))[0];
			(engine: msg[2], checkpoint: msg[3].asString, hash: msg[4].asString)
		}
	}

	// The call-and-response state (idle, listening, responding, or off), as a Symbol.
	callResponseState { |action|
		^this.prRun(action) {
			this.prRequest('/bridge/callresponse/state', [],
				'/bridge/reply/callresponse/state')[0][2]
		}
	}

	// --- the engines' verbs -------------------------------------------------------------

	// The continuation of notes (nil or [] starts from nothing) by engine \rnn or \ngram. Its
	// starts are counted from the end of the primer's last bar. topP: nucleus sampling.
	// Engine \perf answers steps / 4 beats (perf counts beats, not 16ths): see perf.
	continue { |notes, steps = 32, temperature = 1.0, seed, topP, engine = \rnn, action|
		if(engine.asSymbol == \perf) {
			^this.perf(notes, steps / 4, temperature, seed, topP, action: action)
		};
		^this.prRun(action) {
			var args = ["temperature", temperature.asFloat, "steps", steps.asInteger];
			args = args ++ Bridge.opt("seed", seed, \asInteger) ++ Bridge.opt("top_p", topP);
			notes = Bridge.quads(notes);
			if(notes.size > 0) { args = args ++ ["notes"] ++ Bridge.wire(notes) };
			this.prNotes(engine, \continue, args)
		}
	}

	// A polyphonic continuation by the perf engine: chords and overlapping notes in and out,
	// velocities as played. `beats` long (0.25..64), or shorter when `events` run out; density
	// (notes started per beat; densityHold 0..4: how firmly, 0 the model's conditioning alone)
	// and pitchClasses (12 weights, C first; 0 never starts) steer it.
	// Starts are counted from the end of the primer's last note. Bridge.chordPbind plays it.
	perf { |notes, beats = 4, temperature = 1.0, seed, topP, density, pitchClasses, events,
		densityHold, action|
		^this.prRun(action) {
			var args = ["temperature", temperature.asFloat, "beats", beats.asFloat]
				++ Bridge.opt("seed", seed, \asInteger) ++ Bridge.opt("top_p", topP)
				++ Bridge.opt("events", events, \asInteger)
				++ Bridge.prSteering(density, densityHold, pitchClasses);
			notes = Bridge.quads(notes);
			if(notes.size > 0) { args = args ++ ["notes"] ++ Bridge.wire(notes) };
			this.prNotes(\perf, \continue, args)
		}
	}

	// `steps` melodies from a to b, both included (the VAE works on two-bar melodies).
	interpolate { |a, b, steps = 5, temperature, seed, action|
		^this.prRun(action) {
			var args = ["steps", steps.asInteger] ++ Bridge.opt("temperature", temperature)
				++ Bridge.opt("seed", seed, \asInteger);
			args = args ++ ["a"] ++ Bridge.wire(Bridge.quads(a));
			args = args ++ ["b"] ++ Bridge.wire(Bridge.quads(b));
			this.prIndexed('/bridge/vae/interpolate', args)
		}
	}

	// Four-part harmony for a melody (the harmony engine): an Array of four note lists,
	// soprano (the melody as given), alto, tenor, bass. A given alto, tenor or bass is kept.
	harmonize { |notes, temperature, seed, alto, tenor, bass, action|
		^this.prRun(action) {
			var args = Bridge.opt("temperature", temperature) ++ Bridge.opt("seed", seed, \asInteger);
			[["alto", alto], ["tenor", tenor], ["bass", bass]].do { |pair|
				pair[1].notNil.if { args = args ++ [pair[0]] ++ Bridge.wire(Bridge.quads(pair[1])) };
			};
			this.prIndexed('/bridge/harmony/harmonize', args ++ ["notes"] ++ Bridge.wire(Bridge.quads(notes)))
		}
	}

	// n new two-bar melodies from the VAE.
	sample { |n = 1, temperature, seed, action|
		^this.prRun(action) {
			this.prIndexed('/bridge/vae/sample', ["n", n.asInteger]
				++ Bridge.opt("temperature", temperature) ++ Bridge.opt("seed", seed, \asInteger))
		}
	}

	// The VAE's latent code of a two-bar melody: an Array of Floats (for decode).
	encode { |notes, action|
		^this.prRun(action) {
			this.prRequest('/bridge/vae/encode', ["notes"] ++ Bridge.wire(Bridge.quads(notes)),
				'/bridge/reply/vae/encode')[0].drop(2)
		}
	}

	// The two-bar melody of a latent code z (from encode, or your own numbers); without a
	// temperature, the likeliest one.
	decode { |z, temperature, seed, action|
		^this.prRun(action) {
			var args = Bridge.opt("temperature", temperature) ++ Bridge.opt("seed", seed, \asInteger);
			this.prNotes(\vae, \decode, args ++ ["z"] ++ z.asArray.collect(_.asFloat))
		}
	}

	// Steer a two-bar melody along \density, \register or \syncopation by `amount`.
	attribute { |notes, name = \density, amount = 1.0, temperature, seed, action|
		^this.prRun(action) {
			var args = ["name", name.asString, "amount", amount.asFloat]
				++ Bridge.opt("temperature", temperature) ++ Bridge.opt("seed", seed, \asInteger);
			this.prNotes(\vae, \attribute, args ++ ["notes"] ++ Bridge.wire(Bridge.quads(notes)))
		}
	}

	// One 4-beat bar per chord from the GAN: chords is "C Am F G" or ["C", "Am", ...];
	// prev is the bar before the first (notes starting at 0..4).
	bars { |chords, prev, seed, action|
		^this.prRun(action) {
			var args;
			if(chords.isString) { chords = chords.split($ ).reject(_.isEmpty) };
			args = ["chords"] ++ chords.collect(_.asString) ++ Bridge.opt("seed", seed, \asInteger);
			if(prev.notNil) { args = args ++ ["prev"] ++ Bridge.wire(Bridge.quads(prev)) };
			this.prNotes(\gan, \bars, args)
		}
	}

	// One 4-beat bar over `chord` from the GAN, following prev.
	bar { |chord, prev, seed, action|
		^this.prRun(action) {
			var args = ["chord", chord.asString] ++ Bridge.opt("seed", seed, \asInteger);
			if(prev.notNil) { args = args ++ ["prev"] ++ Bridge.wire(Bridge.quads(prev)) };
			this.prNotes(\gan, \bar, args)
		}
	}

	// Start a real-time stream of a streaming engine (\rnn, \ngram; answers a BridgeStream
	// once it runs). The daemon sends each note at its time, or `lookahead` ms early in a
	// timetagged bundle; onNote gets (pitch, velocity, beats, ms, latency) and by default
	// plays the note on the default synth when the server runs, `latency` s from now. steps 0
	// plays until stopped; onDone gets the stream when a `steps` stream has played.
	// Engine \perf streams chords for steps / 4 beats (perf counts beats): see perfStream.
	stream { |notes, tempo = 120, temperature = 1.0, seed, steps = 0, onNote, topP, lookahead,
		channel, velocity, engine = \rnn, onDone, action|
		if(engine.asSymbol == \perf) {
			if(velocity.notNil) { BridgeError("perf streams play their own velocities").throw };
			^this.perfStream(notes, tempo, temperature, seed, steps / 4, onNote: onNote,
				topP: topP, lookahead: lookahead, channel: channel, onDone: onDone, action: action)
		};
		^this.prRun(action) {
			var args = ["tempo", tempo.asFloat, "temperature", temperature.asFloat,
				"steps", steps.asInteger] ++ Bridge.opt("seed", seed, \asInteger)
				++ Bridge.opt("top_p", topP) ++ Bridge.opt("lookahead", lookahead)
				++ Bridge.opt("channel", channel, \asInteger)
				++ Bridge.opt("velocity", velocity, \asInteger);
			notes = Bridge.quads(notes);
			if(notes.size > 0) { args = args ++ ["notes"] ++ Bridge.wire(notes) };
			BridgeStream(this, engine).prStart(args, tempo.asFloat, onNote, onDone)
		}
	}

	// A real-time polyphonic stream of the perf engine (answers a BridgeStream once it runs):
	// chords whose notes arrive together, each with its own velocity and duration, at any
	// point of the beat. beats 0 plays until stopped; density (notes started per beat),
	// densityHold (0..4: how firmly) and pitchClasses (12 weights, C first; 0 never starts)
	// steer it, and set changes them while it plays. listen 0: only OSC feeds are heard, not
	// the chords played into the daemon's MIDI input. onNote and onDone as in stream.
	perfStream { |notes, tempo = 120, temperature = 1.0, seed, beats = 0, density, pitchClasses,
		densityHold, topP, lookahead, channel, listen, onNote, onDone, action|
		^this.prRun(action) {
			var args = ["tempo", tempo.asFloat, "temperature", temperature.asFloat,
				"beats", beats.asFloat] ++ Bridge.opt("seed", seed, \asInteger)
				++ Bridge.opt("top_p", topP) ++ Bridge.opt("lookahead", lookahead)
				++ Bridge.opt("channel", channel, \asInteger)
				++ Bridge.opt("listen", listen, \asInteger)
				++ Bridge.prSteering(density, densityHold, pitchClasses);
			notes = Bridge.quads(notes);
			if(notes.size > 0) { args = args ++ ["notes"] ++ Bridge.wire(notes) };
			BridgeStream(this, \perf).prStart(args, tempo.asFloat, onNote, onDone)
		}
	}

	// --- plumbing ------------------------------------------------------------------------

	// [key, value] when value is given, else [] (value made a Float unless `as` says).
	*opt { |key, value, as = \asFloat|
		^if(value.isNil) { [] } { [key, value.perform(as)] }
	}

	// The perf engine's conditioning keys for those given: density, density_hold,
	// pitch_classes (12 weights).
	*prSteering { |density, densityHold, pitchClasses|
		var args = Bridge.opt("density", density) ++ Bridge.opt("density_hold", densityHold);
		if(pitchClasses.notNil) {
			args = args ++ ["pitch_classes"] ++ pitchClasses.asArray.collect(_.asFloat)
		};
		^args
	}

	*describePaths {
		^['/bridge/reply/describe', '/bridge/reply/describe/verb', '/bridge/reply/describe/param',
			'/bridge/reply/describe/done']
	}

	// A verb whose reply is one list of notes.
	prNotes { |engine, verb, args|
		var path = "/bridge/%/%".format(engine, verb);
		^Bridge.quads(this.prRequest(path.asSymbol, args, ("/bridge/reply/%/%".format(engine,
			verb)).asSymbol)[0].drop(2))
	}

	// A verb with one reply per melody, `<index> <count> <notes...>`: the melodies in order.
	prIndexed { |path, args|
		^this.prRequest(path, args, ("/bridge/reply" ++ path.asString.drop(7)).asSymbol, true)
			.sort { |x, y| x[2] < y[2] }
			.collect { |msg| Bridge.quads(msg.drop(4)) }
	}

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
		var expected = 1;
		^this.prExchange(path, args, [replyPath], { |msg, replies|
			if(many) { expected = msg[3] };
			replies.size >= expected
		})
	}

	// Send path <id> args... and collect the replies to that id on replyPaths until
	// complete.(msg, replies) says they are all in; a /bridge/error to the id throws its
	// message, and no end within `wait` s throws too. Answers the messages, in order.
	prExchange { |path, args, replyPaths, complete = true, wait|
		var id = this.prNextId, cond = Condition(false), replies = List.new;
		var error, done = false, finished = false, finish, responders;
		wait = wait ? timeout;
		finish = { done = true; cond.test = true; cond.signal };
		responders = replyPaths.collect { |replyPath|
			OSCFunc({ |msg|
				if(done.not and: { msg[1] == id }) {
					replies.add(msg);
					if(complete.value(msg, replies)) { finished = true; finish.value };
				}
			}, replyPath)
		} ++ [OSCFunc({ |msg|
			if(done.not and: { msg[1] == id }) { error = msg[3].asString; finish.value }
		}, '/bridge/error')];
		SystemClock.sched(wait, { if(done.not) { finish.value }; nil });
		addr.sendMsg(path, id, *args);
		cond.wait;
		responders.do(_.free);
		if(error.notNil) { BridgeError(error).throw };
		if(finished.not) {
			BridgeError("no answer to % from %:% within % s; is `python -m bridge serve --port %` running?"
				.format(path, addr.ip, addr.port, wait, addr.port)).throw
		};
		^replies.asArray
	}
}
